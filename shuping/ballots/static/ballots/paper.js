// Keying grid of a paper sheet: number keys pick a grade in the focused row and move to the next row,
// so a teller can key a whole sheet without the mouse. 1 好, 2 较好, 3 一般, 4 差, 5 (or 0) 弃权.
(() => {
  const KEY_TO_VALUE = { "1": "1", "2": "2", "3": "3", "4": "4", "5": "0", "0": "0" };

  function rowsOf(grid) {
    return Array.from(grid.querySelectorAll("tr[data-row]"));
  }

  function focusRow(row) {
    if (!row) return;
    const target = row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
    if (target) target.focus();
  }

  function countPicked(grid) {
    const out = document.querySelector("[data-picked]");
    if (!out) return;
    const lines = grid.querySelectorAll("tr.line");
    let n = 0;
    lines.forEach((tr) => { if (tr.querySelector("input:checked")) n += 1; });
    out.textContent = String(n);
  }

  function setup(grid) {
    grid.addEventListener("keydown", (e) => {
      const input = e.target;
      if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
      const key = e.key.length === 1 ? e.key : (e.code.startsWith("Numpad") ? e.code.slice(6) : "");
      const value = KEY_TO_VALUE[key];
      if (value === undefined || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      const row = input.closest("tr[data-row]");
      const pick = row.querySelector(`input[type=radio][value="${value}"]`);
      if (pick) {
        pick.checked = true;
        pick.dispatchEvent(new Event("change", { bubbles: true }));
      }
      const rows = rowsOf(grid);
      const next = rows[rows.indexOf(row) + 1];
      if (next) focusRow(next);
      else {
        const after = document.querySelector("#comment") || document.querySelector("[data-testid=save]");
        if (after) after.focus();
      }
    });
    grid.addEventListener("focusin", (e) => {
      grid.querySelectorAll("tr.current").forEach((tr) => tr.classList.remove("current"));
      const row = e.target.closest && e.target.closest("tr[data-row]");
      if (row) row.classList.add("current");
    });
    grid.addEventListener("focusout", (e) => {
      if (!e.relatedTarget || !grid.contains(e.relatedTarget)) {
        grid.querySelectorAll("tr.current").forEach((tr) => tr.classList.remove("current"));
      }
    });
    grid.addEventListener("change", () => countPicked(grid));
    countPicked(grid);
    // Start keying at the first row that still needs a choice.
    const rows = rowsOf(grid);
    const first = rows.find((r) => !r.querySelector("input:checked")) || rows[0];
    focusRow(first);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-keying]").forEach(setup);
  });
})();
