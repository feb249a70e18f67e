/* Agent console (상담사 콘솔). Everything works without this file: the "적용" button posts the
 * form and the page comes back with the macro in the reply box. With it, the macro (already
 * filled in for this inquiry, in the option's data-text) is added without a reload, and the
 * page tells the server every 45 seconds that it is still open, so the "다른 상담사가 보고
 * 있습니다" notice stays right for everyone. */
(function () {
  "use strict";

  var HEARTBEAT_MS = 45000;

  function applyMacro(event) {
    var select = document.getElementById("macro-select");
    var body = document.getElementById("reply-body");
    var option = select && select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-text");
    if (!body || !text) {
      return; // nothing chosen: let the form post and the server explain
    }
    event.preventDefault();
    var typed = body.value.replace(/\s+$/, "");
    body.value = typed ? typed + "\n\n" + text : text;
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }

  function showViewers(notice, viewers) {
    var names = viewers.map(function (viewer) { return viewer.display_name; });
    notice.querySelector("[data-viewer-names]").textContent = names.join(", ");
    notice.hidden = names.length === 0;
  }

  function heartbeat(notice) {
    var token = document.querySelector("input[name=csrf_token]");
    if (!token) {
      return;
    }
    var body = new URLSearchParams();
    body.append("csrf_token", token.value);
    fetch(notice.getAttribute("data-viewing-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          showViewers(notice, data.other_viewers);
        }
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  var apply = document.getElementById("macro-apply");
  if (apply) {
    apply.addEventListener("click", applyMacro);
  }
  var notice = document.getElementById("viewers-notice");
  if (notice) {
    window.setInterval(function () { heartbeat(notice); }, HEARTBEAT_MS);
  }
})();
