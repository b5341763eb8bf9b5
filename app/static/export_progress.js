// A case export's page while its file is prepared: ask every 2 s how far it went and show
// it in the progress bar; when it is ready, show the download link. Without JavaScript the
// page has an "Actualizar" link.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || box.hasAttribute("data-finished") || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var status = document.getElementById("export-status");
  var bar = document.getElementById("export-bar");
  var count = document.getElementById("export-count");
  var download = document.getElementById("export-download");
  var link = document.getElementById("export-link");
  var refresh = document.getElementById("export-refresh");
  var tries = 0;
  var template = count ? count.getAttribute("data-template") : null;
  function show(data) {
    if (status && status.textContent !== data.status_label) { status.textContent = data.status_label; }
    if (bar && data.total !== null) {
      bar.max = Math.max(1, data.total);
      bar.value = data.done;
      bar.textContent = String(data.done);
    }
    if (count && template && data.total !== null) {
      count.textContent = template.replace("DONE", data.done).replace("TOTAL", data.total);
    }
    if (data.download && download && link) {
      link.href = data.download;
      download.hidden = false;
      if (refresh) { refresh.hidden = true; }
    }
  }
  function again(delay) { if (++tries < 300) { window.setTimeout(ask, delay); } }
  function ask() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { again(4000); return; }
        show(data);
        if (data.status === "queued" || data.status === "running") { again(2000); }
        else if (data.status !== "ready") { window.location.reload(); }
      })
      .catch(function () { again(4000); });
  }
  window.setTimeout(ask, 1000);
})();
