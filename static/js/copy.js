// Copy buttons beside checksums: [data-copy-target] names the element whose text is copied.
// Delegated, so rows inserted later (after an upload) work too. Without JavaScript the
// buttons stay hidden and the checksum can still be selected in one click (user-select: all).
(function () {
  "use strict";
  document.documentElement.classList.add("js-copy");

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try {
      document.execCommand("copy");
    } finally {
      document.body.removeChild(area);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    var done = function () {
      var label = button.firstChild;
      var original = label.textContent;
      label.textContent = "Copied";
      window.setTimeout(function () { label.textContent = original; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  });
})();
