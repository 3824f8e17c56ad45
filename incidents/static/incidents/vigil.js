/* Vigil's one script: loaded in <head> (not deferred) so the menu is collapsed before first paint.
   No inline script anywhere: the Content-Security-Policy allows only files from /static/. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // The browser's zone, for people who have not chosen one in their profile (oncall/viewer_zone.py).
  try {
    // IANA names are letters, digits and _+-/: safe in a cookie as they are (the server reads it raw).
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = (document.cookie.match(/(?:^|; )vigil_tz=([^;]*)/) || [])[1];
    if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) && current !== zone) {
      document.cookie = "vigil_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* an old browser: times stay in the profile's zone or UTC */ }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var bar = document.querySelector(".topbar");
    if (toggle && bar) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        bar.classList.toggle("nav-open", open);
      });
    }
  });

  // A page in a background tab need not ask every few seconds: the first poll after it is shown
  // again brings it up to date.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.target.classList.contains("poller")) event.preventDefault();
  });

  // Live regions are swapped in place by htmx polling. The actions are swapped only when the state
  // changed and nobody is typing in them: a half-written resolution summary must survive a poll.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-keep-while-editing")) return;
    var fresh = event.detail.fragment && event.detail.fragment.firstElementChild;
    var unchanged = fresh && fresh.getAttribute("data-version") === target.getAttribute("data-version");
    var editing = target.contains(document.activeElement) || Array.prototype.some.call(
      target.querySelectorAll("input[type=text], textarea, select"), function (field) {
        return field.tagName === "SELECT" ? field.selectedIndex > 0 : field.value !== field.defaultValue;
      });
    if (unchanged || editing) event.detail.shouldSwap = false;
  });
})();
