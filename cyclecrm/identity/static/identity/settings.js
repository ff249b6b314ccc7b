// Cycle CRM settings pages: copy-to-clipboard buttons, role matrix colouring.
(() => {
  "use strict";

  // <button data-copy-target="#id">: copies the target's text; the label confirms it.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const target = document.querySelector(button.dataset.copyTarget);
    if (!target) return;
    const text = (target.value ?? target.textContent).trim();
    const label = button.querySelector("[data-copy-label]") || button;
    const before = label.textContent;
    try {
      await navigator.clipboard.writeText(text);
      label.textContent = "Copied";
    } catch (error) {
      // Without clipboard access (plain http, old browser) select the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(target);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      label.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { label.textContent = before; }, 2000);
  });

  // Role matrix: each select shows its level as data-level, so CSS can shade none/all.
  const mark = (select) => { select.dataset.level = select.value; };
  document.querySelectorAll(".role-matrix select").forEach(mark);
  document.addEventListener("change", (event) => {
    if (event.target.matches(".role-matrix select")) mark(event.target);
  });
})();
