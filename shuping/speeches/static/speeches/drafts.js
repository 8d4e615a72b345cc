// 点评草稿: "复制" copies the text of the element named in data-copy (works on http intranets too).
document.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-copy]");
  if (!btn) return;
  const field = document.querySelector(btn.dataset.copy);
  if (!field) return;
  const status = btn.parentElement.querySelector(".copy-status");
  const done = (ok) => { if (status) status.textContent = ok ? "已复制" : "请手动选中后复制"; };
  const text = field.value !== undefined ? field.value : field.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
  } else {
    field.focus();
    field.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    done(ok);
  }
});
