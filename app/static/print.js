// Buttons marked data-print print the page (hidden without JavaScript: use the browser's menu).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
