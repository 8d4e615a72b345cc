// Drag rows of the on-site table to change the speaking order; the order form then submits the new order.
document.addEventListener("DOMContentLoaded", () => {
  const body = document.querySelector("tbody[data-sortable]");
  const form = document.querySelector("form[data-order-form]");
  if (!body || !form) return;
  let dragged = null;
  body.addEventListener("dragstart", (e) => {
    dragged = e.target.closest("tr");
    dragged.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
  });
  body.addEventListener("dragend", () => { if (dragged) dragged.classList.remove("dragging"); dragged = null; });
  body.addEventListener("dragover", (e) => {
    e.preventDefault();
    const over = e.target.closest("tr");
    if (!dragged || !over || over === dragged) return;
    const after = e.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    body.insertBefore(dragged, after ? over.nextSibling : over);
  });
  body.addEventListener("drop", (e) => {
    e.preventDefault();
    form.querySelectorAll("input[name=order]").forEach((i) => i.remove());
    body.querySelectorAll("tr[data-pid]").forEach((tr, i) => {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = "order"; input.value = tr.dataset.pid;
      form.appendChild(input);
      tr.querySelector("td").textContent = String(i + 1);
    });
    form.hidden = false;
    body.closest("table").classList.add("dirty");  // the ↑↓ buttons would act on the saved order
  });
});
