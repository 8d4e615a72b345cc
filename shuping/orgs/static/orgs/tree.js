// Unit tree: the first click on "+" loads the children (htmx, hx-trigger="click once");
// later clicks only fold and unfold the loaded list.
document.addEventListener("click", (e) => {
  const btn = e.target.closest(".tree button.toggle");
  if (!btn || !btn.dataset.loaded) return;
  const list = document.getElementById(btn.getAttribute("aria-controls"));
  if (!list) return;
  list.hidden = !list.hidden;
  btn.textContent = list.hidden ? "+" : "−";
  btn.setAttribute("aria-expanded", String(!list.hidden));
});

document.addEventListener("htmx:afterSwap", (e) => {
  const btn = e.detail.requestConfig && e.detail.requestConfig.elt;
  if (btn && btn.matches && btn.matches(".tree button.toggle")) {
    btn.dataset.loaded = "1";
    btn.textContent = "−";
    btn.setAttribute("aria-expanded", "true");
  }
});
