// Review of a text's reading (speeches/reading/review.html). No inline code (CSP).
// The left pane is the source text cut into spans carrying data-s/data-e (character offsets, as Python counts
// them), cut at every sentence start; the right pane is a form with one row per problem. This script links rows
// and spans both ways, highlights the span named by a #s-a-b link (a, b: 1-based, inclusive), and opens the
// correction menu on a sentence of the source: start a part there, split the item there, join the item that
// starts there to the one before, drop it. Every correction is a submit button of the review form (the server
// applies it through actions.correct and keeps the unsaved edits of the rows).
(() => {
  function setup(root) {
    root.classList.add("js");
    const source = root.querySelector("#source");
    const segs = Array.from(source ? source.querySelectorAll("span[data-s]") : []);
    const form = root.querySelector("#review-form");
    const list = root.querySelector("#items");
    const menu = root.querySelector("#fix-menu");
    const mapNode = document.getElementById("reading-map");
    const map = mapNode ? JSON.parse(mapNode.textContent) : { sentences: [], items: [], parts: [] };

    // After a correction the page was posted to …/correct/; a reload should show the review, not post again.
    if (root.dataset.url && window.location.pathname !== root.dataset.url) {
      window.history.replaceState(null, "", root.dataset.url + window.location.hash);
    }

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
      const p = /^#part-(\d+)$/.exec(window.location.hash);
      if (p) {
        const block = source.querySelector(`#part-${p[1]}`);
        if (block) { block.classList.add("hl-part"); reveal(block); }
      }
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();

    // ---- the correction menu
    function hideMenu() { if (menu) menu.hidden = true; }

    function openMenu(seg, event) {
      if (!menu) return;
      const at = Number(seg.dataset.s);
      const starts = map.sentences.filter((s) => s <= at);
      if (!starts.length) return;
      const sentence = starts[starts.length - 1];
      const part = map.parts.filter((p) => p[0] <= sentence).pop() || [0, "opening"];
      const partStart = part[0] === sentence;
      const item = map.items.find((i) => i[0] === sentence || i[1] === sentence);
      const inside = map.items.find((i) => i[1] < sentence && sentence < i[2]);
      let shown = 0;
      menu.querySelectorAll("[data-fix]").forEach((b) => {
        const fix = b.dataset.fix;
        let show = false;
        if (fix === "part") {
          show = b.dataset.kind !== part[1] || !partStart;
          b.value = `part:${sentence}:${b.dataset.kind}`;
        } else if (fix === "nopart") {
          show = partStart && part[1] !== "opening";
          b.value = `nopart::${part[1]}`;
        } else if (fix === "split") {
          show = Boolean(inside) && !item;
          b.value = `split:${sentence}`;
        } else if (fix === "join") {
          show = Boolean(item) && !item[4];
          b.value = `join:${item ? item[0] : ""}`;
        } else if (fix === "drop") {
          show = Boolean(item);
          b.value = `drop:${item ? item[0] : ""}`;
        }
        b.hidden = !show;
        if (show) shown += 1;
      });
      if (!shown) { hideMenu(); return; }
      const text = segs.filter((s) => Number(s.dataset.s) >= sentence).slice(0, 3).map((s) => s.textContent).join("");
      menu.querySelector("[data-fix-where]").textContent = `第 ${sentence + 1} 字：“${text.trim().slice(0, 14)}……”`;
      menu.hidden = false;
      const box = root.getBoundingClientRect();
      menu.style.left = `${Math.max(0, event.clientX - box.left)}px`;
      menu.style.top = `${event.clientY - box.top + 14}px`;
      menu.querySelector("[data-fix]:not([hidden])").focus();
    }
    if (menu) {
      menu.querySelector("[data-fix-close]").addEventListener("click", hideMenu);
      document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideMenu(); });
    }

    const rows = () => (list ? Array.from(list.querySelectorAll("li.item")) : []);

    function select(li, scroll) {
      rows().forEach((r) => r.classList.toggle("active", r === li));
      if (!li) return;
      flash(Number(li.dataset.start), Number(li.dataset.end), scroll);
    }

    if (source) {
      source.addEventListener("click", (e) => {
        const seg = e.target.closest("span[data-s]");
        if (!seg || !window.getSelection().isCollapsed) return;
        if (seg.classList.contains("mk-problem") && list) {
          const li = list.querySelector(`li.item[data-k="${seg.dataset.k.split(" ")[0]}"]`);
          if (li) {
            select(li, false);
            li.scrollIntoView({ block: "nearest", behavior: "smooth" });
          }
        }
        if (form) openMenu(seg, e);
      });
    }

    if (!form || !list) return;
    list.addEventListener("click", (e) => {
      const li = e.target.closest("li.item");
      if (!li || e.target.closest("button")) return;
      if (e.target.closest("[data-where]")) return; // the link sets the hash; hashchange highlights
      select(li, true);
    });
    list.addEventListener("focusin", (e) => {
      const li = e.target.closest("li.item");
      if (li && !li.classList.contains("active") && !e.target.closest("button")) select(li, true);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("review");
    if (root) setup(root);
  });
})();
