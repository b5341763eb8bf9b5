// The online payment's return page: ask every 2 s (for about 3 minutes) whether the
// gateway's answer has arrived and say it in the page's status region, without reloading;
// say so when it stops asking. Without JavaScript the page has an "Actualizar" link.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment-status-url]");
  var live = document.getElementById("pago-aviso");
  if (!box || !live || !window.fetch) { return; }
  var url = box.getAttribute("data-payment-status-url");
  var tries = 0;
  function say(key, link) {
    live.textContent = live.getAttribute("data-" + key) || "";
    if (link) {
      var a = document.createElement("a");
      a.href = live.getAttribute("data-case-url");
      a.textContent = live.getAttribute("data-case-label");
      live.appendChild(document.createTextNode(" "));
      live.appendChild(a);
    }
  }
  function again(delay) {
    if (++tries < 90) { window.setTimeout(ask, delay); } else { say("stopped", true); }
  }
  function ask() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        var status = data && data.status;
        if (status === "paid" || status === "failed" || status === "expired") {
          say(status, true);
        } else { again(2000); }
      })
      .catch(function () { again(4000); });
  }
  window.setTimeout(ask, 1500);
})();
