// Rule builder for segments: edits the rule tree in the form's JSON textarea (the source of
// truth the server validates) and asks for a live member count after each change.
// Nested groups (all / any, optionally negated) hold condition rows; a condition's operators
// follow its field's type. No third-party code; no inline scripts (strict CSP).
(function () {
  "use strict";

  const form = document.getElementById("segment-form");
  const mount = document.getElementById("rule-builder");
  const textarea = form && form.querySelector("textarea[name=rules]");
  const preview = document.getElementById("rules-preview");
  const catalog = JSON.parse(document.getElementById("segment-fields").textContent);
  if (!form || !mount || !textarea) return;
  const fields = new Map(catalog.map((f) => [f.key, f]));
  const OP_LABELS = {
    eq: "is", ne: "is not", in: "is one of", not_in: "is none of", lt: "<", lte: "≤",
    gt: ">", gte: "≥", between: "between", contains: "contains", startswith: "starts with",
    is_empty: "is empty", is_not_empty: "is not empty",
    within_last_days: "within the last N days", before_days_ago: "more than N days ago",
  };
  const LISTED = new Set(["in", "not_in"]);
  const NO_VALUE = new Set(["is_empty", "is_not_empty"]);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    children.forEach((c) => node.append(c));
    return node;
  }

  // Tree <-> JSON. A group is {kind: "all"|"any", negate, children}; a condition {field, op, value}.
  function parse(node) {
    if (node && typeof node === "object" && "not" in node) {
      const inner = parse(node.not);
      if (inner.children && !inner.negate) return { ...inner, negate: true };
      return { kind: "all", negate: true, children: [inner] };
    }
    if (node && Array.isArray(node.all)) return { kind: "all", negate: false, children: node.all.map(parse) };
    if (node && Array.isArray(node.any)) return { kind: "any", negate: false, children: node.any.map(parse) };
    if (node && typeof node.field === "string") return { field: node.field, op: node.op, value: node.value };
    throw new Error("unsupported");
  }

  function serialize(node) {
    if (!node.children) {
      const out = { field: node.field, op: node.op };
      if (!NO_VALUE.has(node.op)) out.value = node.value;
      return out;
    }
    const group = { [node.kind]: node.children.map(serialize) };
    return node.negate ? { not: group } : group;
  }

  function typed(field, op, text) {
    const spec = fields.get(field);
    const numeric = spec && spec.type === "number";
    const one = (s) => {
      const t = String(s).trim();
      return numeric && t !== "" && !isNaN(Number(t)) ? Number(t) : t;
    };
    if (op === "within_last_days" || op === "before_days_ago") return parseInt(text, 10);
    if (LISTED.has(op) || (op === "in" && spec && spec.type === "list")) {
      return String(text).split(",").map(one).filter((v) => v !== "");
    }
    if (op === "between") return String(text).split(",").slice(0, 2).map(one);
    return one(text);
  }

  function shown(value) {
    if (value === undefined || value === null) return "";
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  let tree;
  function changed() {
    textarea.value = JSON.stringify(serialize(tree));
    if (preview) preview.dispatchEvent(new Event("rules-changed"));
  }

  function conditionRow(node, parent) {
    const spec = fields.get(node.field) || catalog[0];
    if (!fields.has(node.field)) node.field = spec.key;
    if (!spec.ops.includes(node.op)) node.op = spec.ops[0];
    const fieldSelect = el("select", { class: "form-select form-select-sm", "aria-label": "Field",
      onchange: (e) => { node.field = e.target.value; node.value = undefined; render(); changed(); } });
    const groups = new Map();
    catalog.forEach((f) => {
      if (!groups.has(f.group)) groups.set(f.group, el("optgroup", { label: f.group }));
      const option = el("option", { value: f.key }, f.label);
      if (f.key === node.field) option.selected = true;
      groups.get(f.group).append(option);
    });
    groups.forEach((g) => fieldSelect.append(g));
    const opSelect = el("select", { class: "form-select form-select-sm", "aria-label": "Operator",
      onchange: (e) => { node.op = e.target.value; render(); changed(); } });
    spec.ops.forEach((op) => {
      const option = el("option", { value: op }, OP_LABELS[op] || op);
      if (op === node.op) option.selected = true;
      opSelect.append(option);
    });
    let valueInput = el("span");
    if (!NO_VALUE.has(node.op)) {
      const setValue = (e) => { node.value = typed(node.field, node.op, e.target.value); changed(); };
      if (spec.choices.length && (node.op === "eq" || node.op === "ne" || node.op === "contains")) {
        valueInput = el("select", { class: "form-select form-select-sm", "aria-label": "Value", onchange: setValue },
          el("option", { value: "" }, "—"));
        spec.choices.forEach((c) => {
          const option = el("option", { value: c }, c);
          if (String(node.value) === c) option.selected = true;
          valueInput.append(option);
        });
      } else {
        const hint = LISTED.has(node.op) || (node.op === "in") ? "a, b, c"
          : node.op === "between" ? (spec.type === "date" ? "YYYY-MM-DD, YYYY-MM-DD" : "low, high")
          : spec.type === "date" && !node.op.includes("days") ? "YYYY-MM-DD" : "";
        valueInput = el("input", { class: "form-control form-control-sm", "aria-label": "Value",
          placeholder: hint, value: shown(node.value), oninput: setValue });
      }
    }
    const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-danger", "aria-label": "Remove condition",
      onclick: () => { parent.children.splice(parent.children.indexOf(node), 1); render(); changed(); } }, "×");
    return el("div", { class: "d-flex gap-2 mb-2 segment-condition" },
      el("div", { class: "flex-fill" }, fieldSelect), el("div", {}, opSelect),
      el("div", { class: "flex-fill" }, valueInput), remove);
  }

  function groupBox(node, parent) {
    const kind = el("select", { class: "form-select form-select-sm w-auto", "aria-label": "Match",
      onchange: (e) => { node.kind = e.target.value; changed(); } },
      el("option", { value: "all" }, "all of"), el("option", { value: "any" }, "any of"));
    kind.value = node.kind;
    const negate = el("input", { type: "checkbox", class: "form-check-input",
      onchange: (e) => { node.negate = e.target.checked; changed(); } });
    negate.checked = node.negate;
    const head = el("div", { class: "d-flex align-items-center gap-2 mb-2" },
      el("label", { class: "form-check-label d-flex gap-1 align-items-center" }, negate, "not"),
      el("span", {}, "Match"), kind, el("span", {}, "these:"));
    const body = el("div", { class: "ps-3" });
    node.children.forEach((child) => body.append(child.children ? groupBox(child, node) : conditionRow(child, node)));
    const add = (child) => () => { node.children.push(child()); render(); changed(); };
    const actions = el("div", { class: "d-flex gap-2" },
      el("button", { type: "button", class: "btn btn-sm btn-outline-primary",
        onclick: add(() => ({ field: catalog[0].key, op: catalog[0].ops[0], value: undefined })) }, "+ Condition"),
      el("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
        onclick: add(() => ({ kind: "all", negate: false, children: [] })) }, "+ Group"));
    if (parent) {
      actions.append(el("button", { type: "button", class: "btn btn-sm btn-outline-danger",
        onclick: () => { parent.children.splice(parent.children.indexOf(node), 1); render(); changed(); } }, "Remove group"));
    }
    return el("div", { class: "border rounded p-2 mb-2 segment-group" }, head, body, actions);
  }

  function render() {
    mount.replaceChildren(groupBox(tree, null));
  }

  function load() {
    try {
      const parsed = parse(JSON.parse(textarea.value || '{"all": []}'));
      tree = parsed.children ? parsed : { kind: "all", negate: false, children: [parsed] };
      render();
    } catch (err) {
      mount.replaceChildren(el("div", { class: "alert alert-secondary py-2" },
        "These rules can only be edited as JSON (Advanced, below)."));
    }
  }

  textarea.addEventListener("change", () => { load(); if (preview) preview.dispatchEvent(new Event("rules-changed")); });
  const kindSelect = form.querySelector("select[name=kind]");
  if (kindSelect) {
    const section = document.getElementById("rules-section");
    const sync = () => { section.hidden = kindSelect.value === "static"; };
    kindSelect.addEventListener("change", sync);
    sync();
  }
  load();
})();
