/* Tramita wizard: progressive enhancement only. Every page works without JavaScript.
 * - Fields with data-show-if (JSON Logic, the same rule the server evaluates) are shown or
 *   hidden as the citizen answers; the server decides again on submit.
 * - A <select data-typeahead> with many options gets a filter box.
 * - An <input data-suggest> (a long server-side list) fills its <datalist> as one types.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-wizard]");
  if (!form) return;

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  } else if (location.hash) {
    // A row was just added or removed: the keyboard goes to that row (or the group). A link
    // to a field (the return notice's link to a refused file): the keyboard goes to the field,
    // not past it, where the browser would start the next Tab.
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && (document.querySelector("[data-focus-hash]") ||
        (form.contains(target) && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)))) {
      target.focus();
    }
  }

  var logic = window.jsonLogic;
  if (logic) {
    // Operators of our whitelist that json-logic-js does not have.
    logic.add_operation("today", function () {
      var d = new Date();
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    });
    logic.add_operation("date_diff_days", function (a, b) {
      var ms = Date.parse(a) - Date.parse(b);
      if (isNaN(ms)) throw new Error("bad date");
      return Math.round(ms / 86400000);
    });
    logic.add_operation("round", function (x, places) {
      var f = Math.pow(10, places || 0);
      return Math.round(Number(x) * f) / f;
    });
    logic.add_operation("table", function () { throw new Error("tables are server-side"); });
  }

  var outside = {};
  try {
    outside = JSON.parse(document.getElementById("wizard-data").textContent || "{}");
  } catch (e) { outside = {}; }

  function isControl(name) {
    return !name || name === "csrf_token" || name === "accion" ||
      /\.(keep|quitar)$/.test(name);
  }

  function valueOf(el) {
    if (el.dataset.kind === "yesno") return el.value === "si";
    if (el.dataset.kind === "date") {
      // typed day/month/year; the rules (like the server's) read AAAA-MM-DD
      var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(el.value);
      if (m) return m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2);
    }
    return el.value;
  }

  // Collect the values of the named inputs inside `root`, with names relative to `prefix`.
  function collect(root, prefix) {
    var data = {};
    var els = root.querySelectorAll("input[name], select[name], textarea[name]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var name = el.name;
      if (isControl(name) || el.type === "file" || name.indexOf(prefix) !== 0) continue;
      var key = name.slice(prefix.length);
      if (key.indexOf("[") !== -1) continue; // a row of a group: seen with its row
      var parts = key.split(".");
      if (el.type === "radio") {
        if (el.checked) data[parts[0]] = valueOf(el);
        continue;
      }
      if (el.type === "checkbox") {
        data[parts[0]] = data[parts[0]] || [];
        if (el.checked) data[parts[0]].push(el.value);
        continue;
      }
      if (el.value === "") continue;
      if (parts.length > 1) {
        data[parts[0]] = data[parts[0]] || {};
        data[parts[0]][parts[1]] = el.value;
      } else {
        data[key] = valueOf(el);
      }
    }
    return data;
  }

  function merge(a, b) {
    var out = {};
    var k;
    for (k in a) if (Object.prototype.hasOwnProperty.call(a, k)) out[k] = a[k];
    for (k in b) if (Object.prototype.hasOwnProperty.call(b, k)) out[k] = b[k];
    return out;
  }

  function shown(rule, data) {
    try {
      return logic.truthy(logic.apply(rule, data));
    } catch (e) {
      return true; // like the server: a rule that cannot be evaluated shows the field
    }
  }

  function refresh() {
    if (!logic) return;
    var page = merge(outside, collect(form, ""));
    var targets = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < targets.length; i++) {
      var el = targets[i];
      var rule;
      try { rule = JSON.parse(el.getAttribute("data-show-if")); } catch (e) { continue; }
      var data = page;
      var row = el.parentElement && el.parentElement.closest("[data-row]");
      if (row) data = merge(page, collect(row, row.getAttribute("data-row") + "."));
      var show = shown(rule, data);
      if (show && el.hidden && announcing) revealed.push(labelOf(el));
      el.hidden = !show;
    }
    if (revealed.length && live) {
      // said in the status region: a question appeared after the one just answered
      live.textContent = (live.getAttribute("data-revealed") || "") + " " + revealed.join(", ");
    }
  }

  // Fields a rule reveals are announced (not on the page's first drawing).
  var live = document.getElementById("wizard-anuncios");
  var announcing = false;
  var revealed = [];
  function labelOf(el) {
    var label = el.querySelector("legend, label, .label");
    return label ? label.textContent.replace(/\s*\*\s*$/, "").trim() : "";
  }

  function answered() {
    announcing = true;
    revealed = [];
    refresh();
  }
  form.addEventListener("change", answered);
  form.addEventListener("input", answered);
  refresh();

  // Type-ahead for long option lists: a filter box above the native select.
  var selects = form.querySelectorAll("select[data-typeahead]");
  Array.prototype.forEach.call(selects, function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "typeahead usa-input";
    box.setAttribute("aria-controls", select.id);
    box.setAttribute("aria-label", document.documentElement.lang === "en" ? "Filter options" : "Filtrar opciones");
    box.placeholder = document.documentElement.lang === "en" ? "Type to filter" : "Escriba para filtrar";
    var all = Array.prototype.slice.call(select.options);
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
      var first = null;
      all.forEach(function (opt) {
        var text = opt.text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        var match = !opt.value || text.indexOf(q) !== -1;
        opt.hidden = !match;
        opt.disabled = !match && opt.value !== select.value;
        if (match && opt.value && !first) first = opt;
      });
      if (first && q) select.value = first.value;
      refresh();
    });
    select.parentNode.insertBefore(box, select);
  });

  // Suggestions from the server for inputs over long lists (catalogs of thousands).
  var suggesting = form.querySelectorAll("input[data-suggest][list]");
  Array.prototype.forEach.call(suggesting, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === asked || !list) return;
        asked = q;
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" }
        })
          .then(function (r) { return r.ok ? r.json() : { entries: [] }; })
          .then(function (body) {
            list.textContent = "";
            body.entries.forEach(function (entry) {
              var opt = document.createElement("option");
              opt.value = entry.code + " · " + entry.label;
              list.appendChild(opt);
            });
          })
          .catch(function () { /* the plain input still works */ });
      }, 200);
    });
  });
})();
