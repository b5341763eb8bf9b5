/* A page that answers a refused form puts the keyboard on its error summary. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
