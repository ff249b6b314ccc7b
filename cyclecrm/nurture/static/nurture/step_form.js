// Show only the fields of the chosen step type on the step form.
(() => {
  const select = document.querySelector("#step-form select[name=type]");
  if (!select) return;
  const show = () => document.querySelectorAll(".step-fields").forEach((set) => {
    set.hidden = set.dataset.stepType !== select.value;
  });
  select.addEventListener("change", show);
  show();
})();
