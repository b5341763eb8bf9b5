// The online payment's return page: ask every 2 s whether the gateway's confirmation has
// arrived, and reload when it has (the page then sends the citizen back to the case).
// Without JavaScript the page has an "Actualizar" link.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment-status-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-payment-status-url");
  var tries = 0;
  function again(delay) { if (++tries < 90) { window.setTimeout(ask, delay); } }
  function ask() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.status && data.status !== "confirming") { window.location.reload(); }
        else { again(2000); }
      })
      .catch(function () { again(4000); });
  }
  window.setTimeout(ask, 1500);
})();
