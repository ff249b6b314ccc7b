// Cycle CRM pipeline settings: reorder stages by dragging their handle. The new order is posted
// (with the CSRF token) as every stage id; on refusal the previous order comes back.
(() => {
  "use strict";
  const body = document.getElementById("stage-rows");
  if (!body || typeof Sortable === "undefined") return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const ids = () => Array.from(body.querySelectorAll("tr[data-stage-id]"), (row) => row.dataset.stageId);
  const say = (text, kind) => {
    const box = document.getElementById("stage-order-alert");
    if (!box) return;
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} py-2 small`;
    alert.setAttribute("role", "status");
    alert.textContent = text;
    box.replaceChildren(alert);
  };
  let before = ids();
  Sortable.create(body, {
    handle: ".stage-handle",
    draggable: "tr",
    animation: 150,
    forceFallback: true,
    ghostClass: "stage-row-ghost",
    onEnd: async () => {
      const order = ids();
      if (order.join() === before.join()) return;
      const form = new URLSearchParams();
      order.forEach((id) => form.append("stage_ids", id));
      form.append("version", body.dataset.version || "");
      try {
        const response = await fetch(body.dataset.orderUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf },
          body: form,
        });
        if (response.status === 409) {
          const rows = new Map(Array.from(body.children, (row) => [row.dataset.stageId, row]));
          before.forEach((id) => body.appendChild(rows.get(id)));
          say("Someone else changed this pipeline meanwhile; reload the page to see their changes.", "warning");
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        // the pipeline's new version goes with the next drag (ADR 0037)
        body.dataset.version = String((await response.json()).version);
        before = order;
        say("Order saved.", "success");
        // The arrows and their disabled ends follow the new order on the next load.
      } catch (error) {
        const rows = new Map(Array.from(body.children, (row) => [row.dataset.stageId, row]));
        before.forEach((id) => body.appendChild(rows.get(id)));
        say("The new order could not be saved; the previous one is back.", "danger");
      }
    },
  });
})();
