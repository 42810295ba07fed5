// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can
// forbid inline scripts: a select marked data-autosubmit submits its form when changed
// (the language menu), and a link marked data-back goes back a page when there is one
// (without JavaScript, or with no page to go back to, it follows its href).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-back]");
    if (link && window.history.length > 1 && document.referrer) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
