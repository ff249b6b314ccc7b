// Cycle CRM: small behaviours on top of htmx and Bootstrap. No inline scripts anywhere, so a
// strict Content-Security-Policy can forbid them.
(() => {
  const isTyping = (target) =>
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable);

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    // "/" focuses the global search box.
    if (event.key === "/" && !isTyping(target) && !event.ctrlKey && !event.metaKey) {
      const box = document.getElementById("global-search");
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
      return;
    }
    if (!(target instanceof HTMLElement)) return;
    // Escape cancels an inline edit (restores the displayed value).
    if (event.key === "Escape") {
      const form = target.closest("form[data-inline-edit]");
      const cancel = form && form.querySelector("[data-inline-cancel]");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
      return;
    }
    // Enter or Space on a focused editable value opens its input, like a click.
    if ((event.key === "Enter" || event.key === " ") && target.classList.contains("inline-edit")) {
      event.preventDefault();
      target.click();
    }
  });

  // A link inside an editable value (e-mail, phone, website) is followed, not edited: the
  // click is stopped before it reaches the value's htmx trigger; the pencil next to it edits.
  document.addEventListener(
    "click",
    (event) => {
      const target = event.target;
      if (target instanceof Element && target.closest(".inline-edit a[href]")) {
        event.stopPropagation();
      }
    },
    true,
  );

  // <form data-confirm="Really?">: asks before submitting (instead of an onsubmit= handler,
  // which the Content-Security-Policy refuses).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // <button data-remove-form>: closes the inline form it belongs to (e.g. "Cancel").
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest("[data-remove-form]");
    const form = button && button.closest("form");
    if (form) {
      event.preventDefault();
      form.remove();
    }
  });

  // After an inline input swaps in, put the caret at the end of its text.
  document.addEventListener("htmx:afterSwap", (event) => {
    const form = event.detail.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-inline-edit]")) return;
    const input = form.querySelector("input:not([type=hidden]), select, textarea");
    if (input) {
      input.focus();
      if (input instanceof HTMLInputElement && typeof input.value === "string") {
        try {
          input.setSelectionRange(input.value.length, input.value.length);
        } catch (_) {
          /* some input types (email, number) do not support selection ranges */
        }
      }
    }
  });
})();
