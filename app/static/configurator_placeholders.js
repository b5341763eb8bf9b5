// The document editor's «Insertar»: puts the chosen placeholder at the cursor of its text
// instead of posting the form (which adds it at the end). Vendored, CSP-safe, optional.
(function () {
  "use strict";
  document.querySelectorAll("[data-placeholder-insert]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var area = document.getElementById(button.getAttribute("data-placeholder-insert"));
      var picker = button.closest("[data-placeholder-picker]");
      var select = picker && picker.querySelector("[data-placeholder-select]");
      if (!area || !select) return;
      event.preventDefault();
      var value = select.value;
      var start = area.selectionStart || 0;
      var end = area.selectionEnd || start;
      area.value = area.value.slice(0, start) + value + area.value.slice(end);
      area.focus();
      area.setSelectionRange(start + value.length, start + value.length);
    });
  });
})();
