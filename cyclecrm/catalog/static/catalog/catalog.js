// Cycle CRM catalog pages (confirmations: `data-confirm`, js/app.js). Amounts are never computed
// here: the line editor asks the server (htmx) on every change.
(() => {
  "use strict";

  // Enter in a line input recomputes the lines instead of saving the whole form.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) return;
    if (!target.closest("#line-editor") || target.type === "search") return;
    event.preventDefault();
    target.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
