// Cycle CRM: keyboard shortcut "/" focuses the global search box.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable;
  if (event.key === "/" && !typing) {
    const box = document.getElementById("global-search");
    if (box) { event.preventDefault(); box.focus(); }
  }
});
