// Cycle CRM: sizes and colours computed on the server, applied through the CSSOM.
// The Content-Security-Policy refuses style="" attributes (style-src 'self', docs/security.md),
// not element.style, so templates write data-width="37" (a percentage) or data-color="#aabbcc"
// and this script applies them: on the first page load and on every piece of content htmx
// swaps in. Loaded by every page with such values (web/base.html and the public statement).
(() => {
  "use strict";

  const COLOR = /^#[0-9a-fA-F]{3,8}$/;

  const apply = (root) => {
    if (!(root instanceof Element || root instanceof Document)) return;
    const nodes = Array.from(root.querySelectorAll("[data-width], [data-color]"));
    if (root instanceof Element && root.matches("[data-width], [data-color]")) nodes.push(root);
    for (const node of nodes) {
      const width = Number(node.dataset.width);
      if (node.dataset.width !== undefined && Number.isFinite(width)) {
        node.style.width = `${Math.min(100, Math.max(0, width))}%`;
      }
      if (node.dataset.color && COLOR.test(node.dataset.color)) {
        node.style.backgroundColor = node.dataset.color;
      }
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => apply(document));
  } else {
    apply(document);
  }
  document.addEventListener("htmx:load", (event) => apply(event.detail.elt));
})();
