// 述职报告 editor: debounced autosave with the draft's revision (a stale save answers 409 with the current
// text, shown as a conflict), live word counts and balance, and a save before 确认签字 / 提交.
// A static file because the CSP forbids inline script; without JS the 保存草稿 button posts the form.
(() => {
  const DELAY = 1500;

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("report-form");
    if (!form) return;
    const status = document.getElementById("save-status");
    const revision = form.querySelector("[data-revision]");
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const conflict = document.getElementById("conflict");
    let timer = null;
    let dirty = false;
    let inflight = null;
    let blocked = false; // after a conflict, until the latest text is loaded
    let latest = null;

    function say(text, error) {
      status.textContent = text;
      status.classList.toggle("error", Boolean(error));
    }

    function hhmm() {
      return new Date().toLocaleTimeString("zh-CN", { hour12: false });
    }

    function showHints(h) {
      document.querySelectorAll("[data-count]").forEach((el) => {
        el.textContent = String(h.counts[el.dataset.count] || 0);
      });
      const total = document.querySelector("[data-total]");
      if (total) total.textContent = String(h.total);
      const byKey = {};
      h.shares.forEach((s) => { byKey[s.key] = s.percent; });
      document.querySelectorAll("progress[data-share]").forEach((el) => {
        el.value = byKey[el.dataset.share] || 0;
      });
      document.querySelectorAll("[data-share-text]").forEach((el) => {
        el.textContent = String(byKey[el.dataset.shareText] || 0);
      });
      const notes = document.querySelector("[data-notes]");
      if (notes) {
        notes.replaceChildren(...h.notes.map((n) => {
          const li = document.createElement("li");
          li.textContent = n;
          return li;
        }));
      }
    }

    function showMissing(problems) {
      const box = document.querySelector("[data-missing]");
      if (!box) return;
      box.hidden = problems.length === 0;
      box.querySelector("[data-missing-count]").textContent = String(problems.length);
      box.querySelector("[data-missing-list]").replaceChildren(...problems.map((p) => {
        const li = document.createElement("li");
        li.textContent = p.length > 40 ? `${p.slice(0, 39)}…` : p;
        return li;
      }));
    }

    function showSigned(signed) {
      const yes = document.querySelector("[data-signed]");
      const no = document.querySelector("[data-unsigned]");
      const was = yes && !yes.hidden;
      if (yes) yes.hidden = !signed;
      if (no) no.hidden = signed;
      return was && !signed;
    }

    function myText() {
      return Array.from(form.querySelectorAll("textarea[data-autosave]"))
        .filter((t) => t.value.trim())
        .map((t) => {
          const label = form.querySelector(`label[for="${t.id}"]`);
          return `【${label ? label.textContent.trim() : t.name}】\n${t.value}`;
        })
        .join("\n\n");
    }

    async function save() {
      if (blocked) return;
      if (inflight) {
        await inflight;
        if (!dirty) return;
      }
      clearTimeout(timer);
      dirty = false;
      say("正在保存…");
      inflight = (async () => {
        try {
          const r = await fetch(form.action, {
            method: "POST",
            body: new FormData(form),
            headers: { Accept: "application/json", "X-CSRFToken": csrf },
            credentials: "same-origin",
          });
          const data = await r.json().catch(() => ({}));
          if (r.ok) {
            revision.value = data.revision;
            showHints(data.hints);
            showMissing(data.missing || []);
            if (showSigned(data.signed)) say(`已自动保存 ${hhmm()}；内容已修改，书记签字已失效，提交前请重新确认签字`);
            else say(`已自动保存 ${hhmm()}`);
          } else if (r.status === 409) {
            blocked = true;
            latest = data;
            conflict.querySelector("[data-conflict-mine]").value = myText();
            conflict.hidden = false;
            say("未保存：报告已在其他地方修改", true);
            conflict.scrollIntoView({ block: "center" });
          } else if (r.status === 422) {
            dirty = true;
            say(`未保存：${(data.errors || ["内容不符合要求"]).join("；")}`, true);
          } else {
            dirty = true;
            say(`保存失败（${r.status}），请稍后重试或点击“保存草稿”`, true);
          }
        } catch (e) {
          dirty = true;
          say("保存失败（网络中断），稍后自动重试", true);
          timer = setTimeout(save, DELAY * 4);
        }
      })();
      await inflight;
      inflight = null;
    }

    form.addEventListener("input", (e) => {
      if (!e.target.matches("textarea[data-autosave]") || blocked) return;
      dirty = true;
      say("有未保存的修改…");
      clearTimeout(timer);
      timer = setTimeout(save, DELAY);
    });

    conflict.querySelector("[data-load-latest]").addEventListener("click", () => {
      if (!latest) return;
      Object.entries(latest.sections).forEach(([key, text]) => {
        const t = form.querySelector(`textarea[name="section_${key}"]`);
        if (t) t.value = text;
      });
      Object.entries(latest.answers).forEach(([key, text]) => {
        const t = form.querySelector(`textarea[name="answer_${key}"]`);
        if (t) t.value = text;
      });
      revision.value = latest.revision;
      blocked = false;
      dirty = false;
      conflict.hidden = true;
      say("已载入最新内容");
    });

    // 确认签字 and 提交 act on the saved draft: save what was typed first.
    document.querySelectorAll("form[data-flush]").forEach((f) => {
      f.addEventListener("submit", async (e) => {
        if (!dirty && !inflight) return;
        e.preventDefault();
        await save();
        if (!blocked && !dirty) f.submit();
      });
    });

    form.addEventListener("submit", () => {
      // The plain 保存草稿 post carries the current revision; no autosave may race it.
      clearTimeout(timer);
      dirty = false;
    });

    window.addEventListener("beforeunload", (e) => {
      if (dirty || inflight) e.preventDefault();
    });
  });
})();
