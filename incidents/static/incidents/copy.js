/* Copy buttons of a secret shown once (the service page): <button class="copy" data-copy="ID">
   copies the text of the element with that id. A file of its own, as the CSP allows no inline script. */
(function () {
  "use strict";
  function say(button, text) {
    var status = button.closest("section") && button.closest("section").querySelector(".copy-status");
    if (status) status.textContent = text;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    if (!navigator.clipboard) {
      // Plain http other than localhost has no Clipboard API: select it for a long-press copy instead.
      window.getSelection().selectAllChildren(source);
      say(button, "Selected: copy it with your device's copy command.");
      return;
    }
    navigator.clipboard.writeText(text).then(function () {
      say(button, "Copied.");
    }, function () {
      window.getSelection().selectAllChildren(source);
      say(button, "The browser refused to copy: it is selected, copy it yourself.");
    });
  });
})();
