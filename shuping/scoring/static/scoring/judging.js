// 现场评分, the judge's sheet: a live total while typing. Loaded without `defer` so the component is
// registered before Alpine (CSP build: no inline code) starts. Sums in hundredths, never floats.
(() => {
  const NUMBER = /^(\d{1,4})(?:\.(\d{1,2}))?$/;

  function cents(text) {
    const m = NUMBER.exec(String(text).trim());
    if (!m) return null;
    return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  }

  function show(c) {
    const whole = Math.floor(c / 100);
    const frac = c % 100;
    if (frac === 0) return String(whole);
    return `${whole}.${String(frac).padStart(2, "0").replace(/0$/, "")}`;
  }

  document.addEventListener("alpine:init", () => {
    window.Alpine.data("judgeSheet", () => ({
      total: "0",
      note: "",
      init() {
        this.recalc();
      },
      recalc() {
        let sum = 0;
        let empty = 0;
        let bad = 0;
        this.$root.querySelectorAll("input[data-max]").forEach((el) => {
          const raw = el.value.trim();
          const c = cents(raw);
          const wrong = raw !== "" && (c === null || c > cents(el.dataset.max));
          el.classList.toggle("bad", wrong);
          el.setAttribute("aria-invalid", wrong ? "true" : "false");
          if (raw === "") empty += 1;
          else if (wrong) bad += 1;
          else sum += c;
        });
        this.total = show(sum);
        const parts = [];
        if (bad) parts.push(`${bad} 项超出范围或格式不对`);
        if (empty) parts.push(`还有 ${empty} 项未填`);
        this.note = parts.join("，");
      },
    }));
  });
})();
