// Progressive enhancement for the filter panel: apply a filter as soon as it changes.
// Without JavaScript the "Apply filters" button does the same.
(function () {
  "use strict";
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "search" || event.target.name === "tag") {
        return; // text fields submit with Enter or the button, not on every blur
      }
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
  });
})();
