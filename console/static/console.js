// llgate console: copy buttons and live updates. Every page works without
// this script; it only saves clicks and reloads.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.textContent).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 1500);
      });
    });
  });
  // A live list: [data-live="EVENTS-URL"] is refreshed from its own page's
  // fragment whenever the server says something changed.
  document.querySelectorAll("[data-live]").forEach(function (list) {
    if (!window.EventSource) return;
    var src = new EventSource(list.getAttribute("data-live"));
    src.onmessage = function () {
      var url = new URL(window.location.href);
      url.searchParams.set("fragment", "1");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { list.innerHTML = html; list.setAttribute("data-updated", String(Date.now())); } });
    };
  });
})();
