/* "도움이 되었나요?" without leaving the page. The form still posts normally (with its CSRF
 * token) when scripts are off, when the browser cannot tell which button was pressed, or when
 * the JSON request fails.
 */
(function () {
  "use strict";

  function fallback(form, value) {
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "helpful";
    hidden.value = value;
    form.appendChild(hidden);
    form.submit();
  }

  function showThanks(form, helpful) {
    var result = form.parentNode.querySelector(".vote-result");
    var title = form.parentNode.querySelector(".feedback-title");
    form.hidden = true;
    if (title) {
      title.hidden = true;
    }
    if (result) {
      result.hidden = false;
      var more = result.querySelector(".vote-more");
      if (more) {
        more.hidden = helpful;
      }
    }
  }

  function onSubmit(event) {
    var form = event.currentTarget;
    var button = event.submitter;
    var api = form.getAttribute("data-vote-api");
    if (!button || !button.value || !api || !window.fetch) {
      return;
    }
    event.preventDefault();
    var value = button.value;
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = true;
    }
    fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ helpful: value === "yes" }),
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("vote failed: " + response.status);
        }
        showThanks(form, value === "yes");
      })
      .catch(function () {
        fallback(form, value);
      });
  }

  var forms = document.querySelectorAll("form[data-vote-api]");
  for (var i = 0; i < forms.length; i += 1) {
    forms[i].addEventListener("submit", onSubmit);
  }
})();
