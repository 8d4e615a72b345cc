// Site-wide behaviour that would otherwise need inline script (the CSP forbids it).
document.addEventListener("click", (e) => {
  const el = e.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}, true);

document.addEventListener("alpine:init", () => {
  // Rows of a list editor (scheme groups, indicators): add/remove rows without inline code.
  window.Alpine.data("rows", () => ({
    add() {
      const tpl = this.$root.querySelector("template[data-row]");
      const body = this.$root.querySelector("[data-rows]");
      body.appendChild(tpl.content.cloneNode(true));
    },
    remove(e) {
      e.target.closest("[data-row-item]").remove();
    },
  }));
});
