// Cycle CRM pipeline board: drag a card to another column to move the opportunity.
// The move posts (with the CSRF token and the card's version) to the card's move URL plus the
// board's current filters; the answer is the updated card and every column header out of band.
// On a conflict or any refusal the card goes back where it was and the reason is shown; a lost
// column first asks for the reason in a modal.
(() => {
  "use strict";

  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  const showAlert = (message, kind = "warning") => {
    const box = document.getElementById("board-alert");
    if (!box) return;
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} alert-dismissible fade show`;
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close");
    alert.appendChild(close);
    box.replaceChildren(alert);
  };

  // A move in progress: {item, from, to, oldIndex}.
  let pending = null;
  let reasonSent = false;

  const putBack = (move) => {
    const reference = move.from.children[move.oldIndex] || null;
    move.from.insertBefore(move.item, reference);
  };

  const send = async (move, lostReason) => {
    const card = move.item;
    const body = new URLSearchParams({ stage_id: move.to.dataset.stageId, version: card.dataset.version });
    if (lostReason !== null) body.set("lost_reason", lostReason);
    card.classList.add("board-card-saving");
    let response;
    try {
      response = await fetch(card.dataset.moveUrl + window.location.search, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        body,
      });
    } catch (error) {
      card.classList.remove("board-card-saving");
      putBack(move);
      showAlert("The server could not be reached; the card was put back.");
      return;
    }
    card.classList.remove("board-card-saving");
    if (response.ok) {
      const html = await response.text();
      htmx.swap(card, html, { swapStyle: "outerHTML" });
      document.getElementById("board-alert")?.replaceChildren();
      return;
    }
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch (ignored) {
      error = {};
    }
    const fields = error.fields || {};
    if (response.status === 422 && fields.lost_reason && lostReason === null) {
      askReason(move);
      return;
    }
    putBack(move);
    if (response.status === 409) {
      showAlert("Someone else changed this opportunity meanwhile: the card was put back. Reload the board to see the latest version.");
    } else {
      const reasons = Object.values(fields).flat().join(" ");
      showAlert(reasons || error.message || "The opportunity could not be moved.");
    }
  };

  const modalElement = () => document.getElementById("lost-modal");

  const askReason = (move) => {
    pending = move;
    reasonSent = false;
    const element = modalElement();
    const input = document.getElementById("lost-reason");
    input.value = "";
    input.classList.remove("is-invalid");
    document.getElementById("lost-modal-deal").textContent =
      `“${move.item.dataset.name}” → ${move.to.dataset.stageName}`;
    bootstrap.Modal.getOrCreateInstance(element).show();
  };

  document.addEventListener("shown.bs.modal", (event) => {
    if (event.target.id === "lost-modal") document.getElementById("lost-reason").focus();
  });

  document.addEventListener("submit", (event) => {
    if (event.target.id !== "lost-form") return;
    event.preventDefault();
    const input = document.getElementById("lost-reason");
    const reason = input.value.trim();
    if (!reason) {
      input.classList.add("is-invalid");
      input.focus();
      return;
    }
    const move = pending;
    reasonSent = true;
    pending = null;
    bootstrap.Modal.getOrCreateInstance(modalElement()).hide();
    if (move) send(move, reason);
  });

  // Closing the modal without a reason cancels the move.
  document.addEventListener("hidden.bs.modal", (event) => {
    if (event.target.id !== "lost-modal" || reasonSent || !pending) return;
    putBack(pending);
    pending = null;
    showAlert("Move cancelled: a lost opportunity needs a reason.", "info");
  });

  const init = (root) => {
    const lists = root.matches && root.matches(".board-cards") ? [root] : root.querySelectorAll(".board-cards");
    lists.forEach((list) => {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "on";
      Sortable.create(list, {
        group: "board",
        draggable: ".board-card",
        animation: 150,
        forceFallback: true,
        fallbackOnBody: true,
        ghostClass: "board-card-ghost",
        chosenClass: "board-card-chosen",
        onEnd: (event) => {
          if (event.from === event.to) return;
          const move = { item: event.item, from: event.from, to: event.to, oldIndex: event.oldIndex };
          if (event.to.dataset.stageKind === "lost") askReason(move);
          else send(move, null);
        },
      });
    });
  };

  htmx.onLoad(init);
})();
