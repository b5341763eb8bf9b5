/* The configurator's steps page: move a step by dragging it, or with the keyboard (focus its
   handle, Space to take it, arrow keys to move it, Space to drop it, Escape to cancel), each
   move announced in the page's live region. A drop posts the same form the «Subir» / «Bajar»
   buttons post (with the new position as `index`); without JavaScript those buttons do it. */
(function () {
  "use strict";
  var list = document.querySelector("[data-sortable-steps]");
  var form = document.querySelector("[data-move-form]");
  var live = document.getElementById("mover-anuncio");
  if (!list || !form || !live) return;
  var text = list.dataset;
  var help = document.getElementById("mover-ayuda");
  if (help) help.hidden = false;

  function items() { return Array.prototype.slice.call(list.querySelectorAll(":scope > li")); }
  function say(template, li) {
    var all = items();
    live.textContent = template
      .replace("%(title)s", li.dataset.stepTitle)
      .replace("%(position)s", String(all.indexOf(li) + 1))
      .replace("%(count)s", String(all.length));
  }
  function renumber() {
    items().forEach(function (li, i) {
      var n = li.querySelector(".configurator-step__number");
      if (n) n.textContent = (i + 1) + ".";
    });
  }
  function post(li) {
    form.action = li.dataset.moveUrl;
    form.querySelector("[name=index]").value = String(items().indexOf(li));
    try { window.sessionStorage.setItem("configurator-moved", li.id); } catch (e) { /* private mode */ }
    form.submit();
  }

  var grabbed = null;
  var start = -1;
  function handleOf(li) { return li.querySelector(".configurator-step__handle"); }
  function grab(li) {
    grabbed = li;
    start = items().indexOf(li);
    li.classList.add("is-grabbed");
    handleOf(li).setAttribute("aria-pressed", "true");
    say(text.grabbed, li);
  }
  function release(li, cancel) {
    li.classList.remove("is-grabbed");
    handleOf(li).setAttribute("aria-pressed", "false");
    grabbed = null;
    if (cancel) {
      var all = items();
      list.insertBefore(li, all[start + (all.indexOf(li) < start ? 1 : 0)] || null);
      renumber();
      handleOf(li).focus();
      say(text.cancelled, li);
    } else if (items().indexOf(li) !== start) {
      say(text.dropped, li);
      post(li);
    } else {
      say(text.cancelled, li);
    }
  }
  function shift(li, delta) {
    var all = items();
    var to = all.indexOf(li) + delta;
    if (to < 0 || to >= all.length) return;
    list.insertBefore(li, delta < 0 ? all[to] : all[to].nextSibling);
    renumber();
    handleOf(li).focus();
    say(text.moved, li);
  }

  items().forEach(function (li) {
    var handle = document.createElement("button");
    handle.type = "button";
    handle.className = "usa-button usa-button--unstyled configurator-step__handle";
    handle.setAttribute("aria-pressed", "false");
    handle.setAttribute("aria-describedby", "mover-ayuda");
    handle.setAttribute("aria-label", text.handle.replace("%(title)s", li.dataset.stepTitle));
    handle.textContent = "⠿";
    var head = li.querySelector(".configurator-step__head");
    head.insertBefore(handle, head.firstChild);
    li.draggable = true;

    handle.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        if (grabbed === li) release(li, false); else if (!grabbed) grab(li);
      } else if (grabbed === li && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        shift(li, event.key === "ArrowUp" ? -1 : 1);
      } else if (grabbed === li && event.key === "Escape") {
        event.preventDefault();
        release(li, true);
      }
    });
    handle.addEventListener("blur", function () {
      if (grabbed === li && !li.contains(document.activeElement)) {
        window.setTimeout(function () {
          if (grabbed === li && document.activeElement !== handle) release(li, true);
        }, 0);
      }
    });

    li.addEventListener("dragstart", function (event) {
      start = items().indexOf(li);
      li.classList.add("is-grabbed");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.id);
    });
    li.addEventListener("dragover", function (event) {
      var moving = list.querySelector("li.is-grabbed");
      if (!moving || moving === li) return;
      event.preventDefault();
      var box = li.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(moving, after ? li.nextSibling : li);
      renumber();
    });
    li.addEventListener("drop", function (event) { event.preventDefault(); });
    li.addEventListener("dragend", function () {
      li.classList.remove("is-grabbed");
      if (items().indexOf(li) !== start) post(li);
    });
  });

  var moved = null;
  try {
    moved = window.sessionStorage.getItem("configurator-moved");
    window.sessionStorage.removeItem("configurator-moved");
  } catch (e) { /* private mode */ }
  var back = moved && document.getElementById(moved);
  if (back && handleOf(back)) handleOf(back).focus();
})();
