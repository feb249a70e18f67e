/* Inquiry forms (forms with data-inquiry-form): checks chosen files before a slow upload and
 * stops a second submit while the first one is on its way. The server checks everything
 * again by content; without JavaScript the forms post exactly the same way. */
(function () {
  "use strict";

  var ALLOWED = ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"];

  // The page may say the messages in its language (data-msg-*, "{name}" for the file); else Korean.
  function said(input, kind, fallback, name) {
    var text = input.getAttribute("data-msg-" + kind);
    return text ? text.replace("{name}", name || "") : fallback;
  }

  function fileProblem(input) {
    var files = input.files || [];
    var maxCount = parseInt(input.getAttribute("data-max-count"), 10);
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
    var maxMb = input.getAttribute("data-max-mb");
    if (files.length > maxCount) {
      return said(input, "count", "첨부 파일은 최대 " + maxCount + "개까지 올릴 수 있어요.");
    }
    for (var i = 0; i < files.length; i += 1) {
      if (files[i].size > maxBytes) {
        return said(input, "size", files[i].name + ": 파일이 너무 커요. 최대 " + maxMb + "MB까지 올릴 수 있어요.", files[i].name);
      }
      if (files[i].size === 0) {
        return said(input, "empty", files[i].name + ": 빈 파일은 올릴 수 없어요.", files[i].name);
      }
      if (files[i].type && ALLOWED.indexOf(files[i].type) < 0) {
        return said(input, "type", files[i].name + ": 이미지(JPEG·PNG·GIF·WEBP)와 PDF만 올릴 수 있어요.", files[i].name);
      }
    }
    return "";
  }

  function showProblem(input) {
    var message = fileProblem(input);
    var box = input.parentNode.querySelector("[data-file-error]");
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (box) {
      box.textContent = message;
      box.hidden = !message;
    }
    return message;
  }

  function setBusy(form, busy) {
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = busy;
      buttons[i].setAttribute("aria-busy", busy ? "true" : "false");
    }
  }

  var forms = document.querySelectorAll("form[data-inquiry-form]");
  for (var i = 0; i < forms.length; i += 1) {
    var input = forms[i].querySelector("input[type=file][data-max-count]");
    if (input) {
      input.addEventListener("change", function (event) { showProblem(event.currentTarget); });
    }
    forms[i].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      var files = form.querySelector("input[type=file][data-max-count]");
      if (files && showProblem(files)) {
        event.preventDefault();
        files.focus();
        return;
      }
      if (form.getAttribute("data-submitting") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "true");
      setBusy(form, true);
    });
  }

  // Coming back with the browser's back button restores the page as it was: unlock the forms.
  window.addEventListener("pageshow", function () {
    for (var j = 0; j < forms.length; j += 1) {
      forms[j].removeAttribute("data-submitting");
      setBusy(forms[j], false);
    }
  });
})();
