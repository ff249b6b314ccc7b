// Referral panel: <button data-referral-copy="#id"> copies the target's text (the referral link).
(() => {
  "use strict";
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-referral-copy]");
    if (!button) return;
    const target = document.querySelector(button.dataset.referralCopy);
    if (!target) return;
    const label = button.querySelector("[data-copy-label]") || button;
    const before = label.textContent;
    try {
      await navigator.clipboard.writeText((target.value ?? target.textContent).trim());
      label.textContent = "Copied";
    } catch (error) {
      // Without clipboard access (plain http) select the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(target);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      label.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { label.textContent = before; }, 2000);
  });
})();
