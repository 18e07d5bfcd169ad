/* Diplomacy Hub: small progressive enhancements. Everything works without this file;
   no inline script or style anywhere (the Content Security Policy forbids them). */
(function () {
  "use strict";

  /* Tabs (WAI-ARIA tabs pattern): [data-tabs] holds a hidden [data-tablist] of [data-tab]
     buttons and [data-tab-panel] sections. Without JavaScript every panel shows, one under
     the other, each with its own heading. */
  function initTabs(root) {
    var list = root.querySelector("[data-tablist]");
    if (!list || root.hasAttribute("data-tabs-ready")) return;
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[data-tab]"));
    var panels = tabs.map(function (tab) { return document.getElementById(tab.getAttribute("aria-controls")); });
    if (tabs.length < 2) return;
    root.setAttribute("data-tabs-ready", "");
    root.classList.add("tabs--enhanced");
    list.hidden = false;
    list.setAttribute("role", "tablist");

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var selected = i === index;
        tab.setAttribute("aria-selected", selected ? "true" : "false");
        tab.tabIndex = selected ? 0 : -1;
        panels[i].hidden = !selected;
      });
      if (focus) tabs[index].focus();
    }

    tabs.forEach(function (tab, i) {
      tab.setAttribute("role", "tab");
      panels[i].setAttribute("role", "tabpanel");
      panels[i].setAttribute("aria-labelledby", tab.id);
      panels[i].tabIndex = 0;
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        // Right to left (Arabic), the next tab is the one on the left.
        var forward = getComputedStyle(list).direction === "rtl" ? "ArrowLeft" : "ArrowRight";
        var back = forward === "ArrowLeft" ? "ArrowRight" : "ArrowLeft";
        if (event.key === forward) next = (i + 1) % tabs.length;
        else if (event.key === back) next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });

    // Open on the first language with a problem, else the first.
    var first = tabs.findIndex(function (tab) { return tab.hasAttribute("data-has-errors"); });
    select(first >= 0 ? first : 0, false);

    // A link to a field inside a hidden panel (the error summary) opens that panel first.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!target) return;
      panels.forEach(function (panel, i) {
        if (panel.contains(target)) select(i, false);
      });
      var details = target.closest("details");
      if (details) details.open = true;
    });
  }

  function initAll(scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll("[data-tabs]"), initTabs);
    var summary = document.getElementById("error-summary");
    if (summary && !summary.hasAttribute("data-focused")) {
      summary.setAttribute("data-focused", "");
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  } else {
    initAll(document);
  }
})();
