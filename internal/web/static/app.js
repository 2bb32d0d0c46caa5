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
});
