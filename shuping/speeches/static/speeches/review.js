// Review of a text's extracted problems (speeches/reading/review.html). No inline code (CSP).
// The left pane is the source text cut into spans carrying data-s/data-e (character offsets, as Python counts
// them); the right pane is a form with one row per problem (hidden start/end, text, category, unit). This script
// adds merge and drop, keeps the hidden JSON list #items-json in step with the rows (the server takes it when
// present), re-marks the problem spans after each change, links rows and spans both ways, and highlights the
// span named by a #s-a-b link (a, b: 1-based, inclusive).
(() => {
  const PUNCT = /[。；;，,！!？?、：:]$/;

  function setup(root) {
    root.classList.add("js");
    const source = root.querySelector("#source");
    const segs = Array.from(source ? source.querySelectorAll("span[data-s]") : []);
    const form = root.querySelector("#review-form");
    const list = root.querySelector("#items");
    const json = root.querySelector("#items-json");

    // Bring a span into view inside the text pane (which scrolls on its own), then the pane into the window.
    function reveal(seg) {
      const pane = source.getBoundingClientRect();
      const top = seg.getBoundingClientRect().top - pane.top;
      if (top < 0 || top > source.clientHeight - 24) {
        source.scrollTo({ top: source.scrollTop + top - source.clientHeight / 3, behavior: "smooth" });
      }
      if (pane.top < 0 || pane.top > window.innerHeight - 80) source.scrollIntoView({ block: "start" });
    }

    const within = (start, end) => segs.filter((s) => Number(s.dataset.s) >= start && Number(s.dataset.e) <= end);

    function flash(start, end, scroll) {
      segs.forEach((s) => s.classList.remove("hl"));
      const hit = within(start, end);
      hit.forEach((s) => s.classList.add("hl"));
      if (scroll && hit.length) reveal(hit[0]);
      return hit.length > 0;
    }

    function fromHash() {
      const m = /^#s-(\d+)-(\d+)$/.exec(window.location.hash);
      if (m) flash(Number(m[1]) - 1, Number(m[2]), true);
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();

    if (!form || !list) return;
    const rows = () => Array.from(list.querySelectorAll("li.item"));
    const field = (li, name) => li.querySelector(`[name=${name}]`);

    function select(li, scroll) {
      rows().forEach((r) => r.classList.toggle("active", r === li));
      if (!li) return;
      flash(Number(li.dataset.start), Number(li.dataset.end), scroll);
    }

    function sync() {
      const items = rows().map((li) => ({
        start: Number(li.dataset.start), end: Number(li.dataset.end), text: field(li, "text").value,
        category: field(li, "category").value, unit: field(li, "unit").value,
      }));
      json.value = JSON.stringify(items);
      // Re-mark the problem spans: the rows are the truth now.
      segs.forEach((s) => {
        if (!s.classList.contains("mk-problem")) return;
        s.classList.remove("mk-problem", "mk");
        delete s.dataset.k;
      });
      rows().forEach((li, n) => {
        within(Number(li.dataset.start), Number(li.dataset.end)).forEach((s) => {
          s.classList.remove("mk-item");
          s.classList.add("mk", "mk-problem");
          s.dataset.k = li.dataset.k;
        });
        const where = li.querySelector("[data-where]");
        where.textContent = `第 ${Number(li.dataset.start) + 1}–${li.dataset.end} 字`;
        where.setAttribute("href", `#s-${Number(li.dataset.start) + 1}-${li.dataset.end}`);
        const merge = li.querySelector("[data-merge]");
        if (merge) merge.disabled = n === rows().length - 1;
      });
      const count = root.querySelector("[data-count]");
      if (count) count.textContent = String(rows().length);
    }

    function merge(li) {
      const next = li.nextElementSibling;
      if (!next) return;
      const a = field(li, "text").value.trim();
      const b = field(next, "text").value.trim();
      field(li, "text").value = a && b ? a + (PUNCT.test(a) ? "" : "；") + b : a + b;
      li.dataset.start = String(Math.min(Number(li.dataset.start), Number(next.dataset.start)));
      li.dataset.end = String(Math.max(Number(li.dataset.end), Number(next.dataset.end)));
      field(li, "start").value = li.dataset.start;
      field(li, "end").value = li.dataset.end;
      for (const name of ["category", "unit"]) {
        if (!field(li, name).value) field(li, name).value = field(next, name).value;
      }
      next.remove();
      sync();
      select(li, true);
    }

    list.addEventListener("click", (e) => {
      const li = e.target.closest("li.item");
      if (!li) return;
      if (e.target.closest("[data-merge]")) { merge(li); return; }
      if (e.target.closest("[data-drop]")) {
        const after = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        sync();
        select(after, false);
        return;
      }
      if (e.target.closest("[data-where]")) return; // the link sets the hash; hashchange highlights
      select(li, true);
    });
    list.addEventListener("focusin", (e) => {
      const li = e.target.closest("li.item");
      if (li && !li.classList.contains("active")) select(li, true);
    });
    list.addEventListener("input", sync);
    list.addEventListener("change", sync);
    source.addEventListener("click", (e) => {
      const seg = e.target.closest("span[data-k]");
      if (!seg || !seg.classList.contains("mk-problem")) return;
      const li = list.querySelector(`li.item[data-k="${seg.dataset.k.split(" ")[0]}"]`);
      if (!li) return;
      select(li, false);
      li.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    form.addEventListener("submit", sync);
    root.querySelectorAll("[data-merge], [data-drop]").forEach((b) => { b.hidden = false; });
    sync();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("review");
    if (root) setup(root);
  });
})();
