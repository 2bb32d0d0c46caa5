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
  // <form data-once> sends once: its submit button is disabled on submit
  // (the server's one-time form token guards the rest).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
  // [data-upload-status="URL"] follows an upload to ANAF's answer: it polls
  // the JSON state every 2 s and updates the [data-field] cells inside;
  // once the upload is done it stops, or reloads the page with
  // [data-reload]. Without JavaScript the upload page refreshes itself.
  document.querySelectorAll("[data-upload-status]").forEach(function (el) {
    if (!window.fetch) { return; }
    var set = function (field, text) {
      var c = el.querySelector("[data-field=" + field + "]");
      if (c && text) { c.textContent = text; }
      return c;
    };
    var poll = function () {
      fetch(el.getAttribute("data-upload-status"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (st) {
          if (!st) { return; }
          var state = set("state", st.label);
          if (state) { state.className = "upload-state state-" + st.state; }
          set("at", st.at);
          set("index", st.id_incarcare);
          var inv = el.querySelector("[data-field=invoice]");
          if (inv && st.invoice_url && !inv.querySelector("a")) {
            var a = document.createElement("a");
            a.href = st.invoice_url;
            a.textContent = inv.getAttribute("data-label") || st.invoice_url;
            inv.textContent = "";
            inv.appendChild(a);
          }
          if (st.done) {
            if (el.hasAttribute("data-reload")) { window.location.reload(); }
            return;
          }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1500);
  });
});
