// eFactura Gateway: small progressive enhancements. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // <select data-autosubmit> submits its form on change (the company switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
  // <form data-confirm="question"> asks before submitting.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // <section data-sync-status="URL"> follows a running sync: it polls the
  // JSON status every 1.5 s, moves the progress bar and reloads the page
  // when the run is over. Without JavaScript a <noscript> refresh does it.
  var box = document.querySelector("[data-sync-status]");
  if (box && window.fetch) {
    var bar = box.querySelector("progress");
    var text = box.querySelector("#sync-text");
    var poll = function () {
      fetch(box.getAttribute("data-sync-status"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (st) {
          if (!st) { return; }
          if (bar && st.total_pages > 0) { bar.max = st.total_pages; bar.value = st.pages; }
          if (text && st.text) { text.textContent = st.text; }
          if (st.done) { window.location.reload(); return; }
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
});
