/* The condition builder: choosing another field (or an operator that takes another kind of
   value) redraws the row through its own «Actualizar operaciones» button, and the advanced
   editor is checked as it is typed (the same check a save makes, asked of the server). */
(function () {
  "use strict";
  var builder = document.querySelector("[data-condition-builder]");
  if (!builder) return;

  builder.querySelectorAll(".configurator-condition__row").forEach(function (row) {
    var refresh = row.querySelector("[data-condition-refresh]");
    if (!refresh) return;
    refresh.hidden = true;
    var submit = function () {
      if (builder.requestSubmit) builder.requestSubmit(refresh); else refresh.click();
    };
    var field = row.querySelector("[data-condition-field]");
    if (field) field.addEventListener("change", submit);
    var op = row.querySelector("[data-condition-op]");
    if (op) {
      var takes = function () { return op.options[op.selectedIndex].dataset.takes; };
      var before = takes();
      op.addEventListener("change", function () { if (takes() !== before) submit(); });
    }
  });

  var editor = builder.querySelector("textarea[name=advanced]");
  var status = document.getElementById("advanced-status");
  if (!editor || !status || !window.fetch) return;
  var timer = null;
  var token = builder.querySelector("[name=csrf_token]").value;
  function check() {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("advanced", editor.value);
    window.fetch(builder.dataset.checkUrl, {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": token }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer) return;
      status.textContent = [answer.summary].concat(answer.problems).join(" ");
      editor.setAttribute("aria-invalid", answer.problems.length ? "true" : "false");
      editor.classList.toggle("usa-input--error", answer.problems.length > 0);
    }).catch(function () { /* the save checks it anyway */ });
  }
  editor.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  });
})();
