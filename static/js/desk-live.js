/* Diplomacy Hub, the conversation desk live: no page reload, no inline script (CSP).

   [data-live-url] (the inbox): every data-live-seconds, ask the server how many of this
   inbox's conversations changed since the page was shown (one count), and say "N new or
   changed — Show" in a polite live region, rather than moving the list under the reader.

   [data-presence-url] (a conversation): every data-presence-seconds, tell the server "I am
   looking at it" (a POST with the page's CSRF token) and show who else is.

   Both wait while the tab is hidden, and slow down after an error. Text from the server
   is set as text, never as HTML. Without JavaScript the pages work as before. */
(function () {
  "use strict";

  var MAX_DELAY = 300000;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  /* Calls ask() every `seconds`, doubling the delay after a failure, pausing while hidden. */
  function every(seconds, ask) {
    var base = Math.max(5, seconds) * 1000;
    var delay = base;
    var timer = null;

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(tick, delay);
    }

    function tick() {
      if (document.hidden) return; /* resumed by visibilitychange */
      ask().then(
        function () { delay = base; schedule(); },
        function () { delay = Math.min(delay * 2, MAX_DELAY); schedule(); }
      );
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { clearTimeout(timer); tick(); }
    });
    return { schedule: schedule, now: tick };
  }

  function json(response) {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  function initLive(notice) {
    var url = notice.getAttribute("data-live-url");
    var message = notice.querySelector("[data-live-message]");
    var show = notice.querySelector("[data-live-show]");
    var poller = every(parseInt(notice.getAttribute("data-live-seconds"), 10) || 15, function () {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(json)
        .then(function (data) {
          if (data.changed > 0 && message.textContent !== data.message) {
            message.textContent = data.message;
            if (data.show) show.textContent = data.show;
            notice.hidden = false;
          }
        });
    });
    poller.schedule();
  }

  function initPresence(line) {
    var url = line.getAttribute("data-presence-url");
    var token = csrfToken();
    var poller = every(parseInt(line.getAttribute("data-presence-seconds"), 10) || 20, function () {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token },
      })
        .then(json)
        .then(function (data) {
          /* Only a change is written: a live region re-read every 20 s would be noise. */
          var text = data.message || "";
          if (line.textContent !== text) line.textContent = text;
        });
    });
    poller.now(); /* say at once that this person is here */
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-url]"), initLive);
    Array.prototype.forEach.call(document.querySelectorAll("[data-presence-url]"), initPresence);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
