/* The postmortem editor's live preview: a moment after typing stops, the section's text is posted
   (with the CSRF token of the form) to the preview endpoint, which answers with the server's own
   sanitized rendering (incidents/markdown.py), swapped into the pane below the text. Without this
   script the form still works: save, then read the page. */
(function () {
  "use strict";
  var WAIT_MS = 400;

  function attach(area) {
    var target = document.getElementById(area.getAttribute("data-preview-target"));
    var form = area.form;
    var token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!target || !token) return;
    var timer = null;
    var sent = 0;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var body = new FormData();
        body.append("csrfmiddlewaretoken", token.value);
        body.append("text", area.value);
        var mine = ++sent;
        fetch(area.getAttribute("data-preview-url"), {
          method: "POST", body: body, credentials: "same-origin",
          headers: {"X-CSRFToken": token.value}
        }).then(function (response) {
          return response.ok ? response.text() : Promise.reject(response);
        }).then(function (html) {
          // An older answer arriving late must not replace a newer one.
          if (mine === sent) {
            target.innerHTML = html;
            target.removeAttribute("data-preview-error");
          }
        }).catch(function () {
          if (mine === sent) target.setAttribute("data-preview-error", "true");
        });
      }, WAIT_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-preview-url]"), attach);
  });
})();
