/* Asks before destructive admin actions (forms with data-confirm). Without JavaScript the
 * button posts straight away, still protected by the CSRF token. */
(function () {
  "use strict";

  var forms = document.querySelectorAll("form[data-confirm]");
  for (var i = 0; i < forms.length; i += 1) {
    forms[i].addEventListener("submit", function (event) {
      if (!window.confirm(event.currentTarget.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }
})();
