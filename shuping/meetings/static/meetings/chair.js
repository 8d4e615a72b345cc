// The chair's 点评 pad: follow the meeting (highlight the current reporter), autosave the commentary, tag
// problems from a selection. No inline code (CSP). Offsets sent to the server count Unicode code points
// (Python's str indices), not the UTF-16 units of JavaScript strings.
(() => {
  const csrf = () => {
    const el = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (el) return el.value;
    const m = /csrftoken=([^;]+)/.exec(document.cookie);
    return m ? m[1] : "";
  };
  const points = (text, units) => Array.from(text.slice(0, units)).length;
  const units = (text, pts) => Array.from(text).slice(0, pts).join("").length;

  // --- follow the meeting: poll the state, highlight the current agenda item -----------------------
  function follow(root) {
    const url = root.dataset.stateUrl;
    if (!url) return;
    let etag = null;
    const note = root.querySelector("[data-live-note]");
    async function poll() {
      if (document.visibilityState === "hidden") return;
      try {
        const headers = etag ? { "If-None-Match": etag } : {};
        const r = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
        if (r.status === 304 || !r.ok) return;
        etag = r.headers.get("ETag");
        const data = await r.json();
        const id = data.current ? String(data.current.id) : "";
        document.querySelectorAll("[data-item-id]").forEach((el) => {
          el.classList.toggle("current", el.dataset.itemId === id);
        });
        if (note) {
          const cur = data.current;
          note.hidden = !cur;
          note.textContent = cur ? `会议进行中：${cur.title}${cur.phase_label ? "（" + cur.phase_label + "）" : ""}` : "";
        }
      } catch (e) {
        // offline: try again on the next tick
      }
    }
    poll();
    setInterval(poll, 2000);
  }

  // --- the pad --------------------------------------------------------------------------------------
  function setupPad(pad) {
    const ta = document.getElementById("commentary");
    if (!ta || pad.dataset.readonly) return;
    const url = pad.dataset.saveUrl;
    const statusEl = pad.querySelector("[data-testid=save-status]");
    const conflictEl = pad.querySelector("[data-testid=conflict]");
    const draftKey = `shuping.commentary.${pad.dataset.key}`;
    let revision = Number(pad.dataset.revision);
    let saved = ta.value;
    let timer = null;
    let retry = null;
    let inflight = null;
    let conflict = false;

    const status = (text, bad) => {
      statusEl.textContent = text;
      statusEl.classList.toggle("bad", !!bad);
    };
    const dirty = () => ta.value !== saved;
    const storeDraft = () => {
      try {
        if (dirty()) localStorage.setItem(draftKey, JSON.stringify({ text: ta.value, revision }));
        else localStorage.removeItem(draftKey);
      } catch (e) { /* storage full or disabled */ }
    };
    const body = (text, rev) => {
      const fd = new FormData();
      fd.append("text", text);
      fd.append("revision", String(rev));
      fd.append("csrfmiddlewaretoken", csrf());
      return fd;
    };
    const replaceProblems = (html) => {
      const old = document.getElementById("problems");
      if (!old || !html) return;
      old.outerHTML = html;
      const fresh = document.getElementById("problems");
      if (window.htmx && fresh) window.htmx.process(fresh);
    };

    function showConflict(data, title) {
      conflict = true;
      clearTimeout(timer);
      conflictEl.hidden = false;
      conflictEl.querySelector("[data-conflict-title]").textContent = title;
      conflictEl.querySelector("textarea.mine").value = ta.value;
      conflictEl.dataset.text = data.text;
      conflictEl.dataset.revision = String(data.revision);
      status("未保存：另一窗口已修改", true);
    }
    conflictEl.addEventListener("click", (e) => {
      const choice = e.target.closest("[data-conflict]");
      if (!choice) return;
      const theirs = conflictEl.dataset.text;
      revision = Number(conflictEl.dataset.revision);
      conflict = false;
      conflictEl.hidden = true;
      if (choice.dataset.conflict === "theirs") {
        ta.value = theirs;
        saved = theirs;
        storeDraft();
        status("已载入已保存的内容");
      } else {
        saved = theirs;
        save();
      }
    });

    async function save() {
      clearTimeout(timer);
      timer = null;
      if (conflict || !dirty()) return;
      if (inflight) {
        await inflight;
        return save();
      }
      const text = ta.value;
      status("正在保存…");
      inflight = (async () => {
        try {
          const r = await fetch(url, { method: "POST", body: body(text, revision), credentials: "same-origin",
            headers: { "X-CSRFToken": csrf() }, keepalive: true });
          const data = await r.json().catch(() => ({}));
          if (r.ok) {
            revision = data.revision;
            saved = text;
            status(`已保存 ${data.saved_at}`);
            replaceProblems(data.problems_html);
            storeDraft();
            if (dirty()) schedule();
          } else if (r.status === 409) {
            showConflict(data, "另一窗口已修改此点评。");
          } else if (r.status === 422) {
            status((data.errors || ["保存失败"]).join("；"), true);
          } else {
            status("保存失败，稍后自动重试（内容已暂存在本机）", true);
            clearTimeout(retry);
            retry = setTimeout(save, 5000);
          }
        } catch (e) {
          status("网络中断，内容已暂存在本机，恢复后自动保存", true);
          clearTimeout(retry);
          retry = setTimeout(save, 3000);
        }
      })();
      await inflight;
      inflight = null;
    }

    function schedule() {
      storeDraft();
      if (conflict) return;
      status("未保存…");
      clearTimeout(timer);
      timer = setTimeout(save, 1000);
    }

    // The page is going away (lid closed, tab closed, navigation): send what is left in a beacon.
    function beacon() {
      if (conflict || !dirty()) return;
      storeDraft();
      // A save still on the way will have made the revision one higher by the time the beacon arrives.
      const rev = inflight ? revision + 1 : revision;
      navigator.sendBeacon(url, body(ta.value, rev));
    }

    ta.addEventListener("input", schedule);
    ta.addEventListener("blur", () => save());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") save();
    });
    window.addEventListener("pagehide", beacon);
    window.addEventListener("pageshow", (e) => {
      if (e.persisted) window.location.reload(); // back from the page cache: the text may be old
    });
    window.addEventListener("online", () => save());

    // Unsaved text left in this browser by a page that could not save it (network down, lid closed).
    try {
      const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
      if (draft && draft.text !== ta.value) {
        if (draft.revision === revision) {
          ta.value = draft.text;
          status("已恢复本机未保存的内容，正在保存…");
          save();
        } else {
          showConflict({ text: ta.value, revision }, "本机有一份未保存的内容，与已保存的点评不同。");
          conflictEl.querySelector("textarea.mine").value = draft.text;
          ta.value = draft.text;
        }
      } else if (draft) {
        localStorage.removeItem(draftKey);
      }
    } catch (e) { /* no storage */ }

    // --- problems ---------------------------------------------------------------------------------
    const form = document.getElementById("problem-form");
    const mark = document.getElementById("mark-problem");
    const quoteEl = form.querySelector("[data-quote]");
    let selection = [0, 0];
    // The selection is lost when the button takes the focus: remember it as it changes.
    const remember = () => { selection = [ta.selectionStart, ta.selectionEnd]; };
    ["select", "keyup", "mouseup"].forEach((ev) => ta.addEventListener(ev, remember));

    mark.addEventListener("click", async () => {
      const [s, e] = selection;
      form.reset();
      form.elements.start.value = "";
      form.elements.end.value = "";
      form.elements.quote.value = "";
      quoteEl.hidden = true;
      if (e > s && ta.value.slice(s, e).trim()) {
        await save(); // offsets refer to the saved text
        const quote = ta.value.slice(s, e);
        form.elements.start.value = points(ta.value, s);
        form.elements.end.value = points(ta.value, e);
        form.elements.quote.value = quote;
        form.elements.text.value = quote.trim().replace(/\s+/g, " ");
        quoteEl.textContent = `原文：第 ${points(ta.value, s) + 1}–${points(ta.value, e)} 字`;
        quoteEl.hidden = false;
      }
      form.hidden = false;
      (form.elements.text.value ? form.elements.category : form.elements.text).focus();
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => { form.hidden = true; ta.focus(); });
    form.addEventListener("htmx:afterRequest", (e) => {
      const html = e.detail.xhr ? e.detail.xhr.responseText : "";
      if (e.detail.successful && !html.includes("problem-errors")) form.hidden = true;
    });
    document.addEventListener("click", (e) => {
      const btn = e.target.closest("button.locate");
      if (!btn) return;
      ta.focus();
      ta.setSelectionRange(units(ta.value, Number(btn.dataset.start)), units(ta.value, Number(btn.dataset.end)));
    });
  }

  document.querySelectorAll("[data-state-url]").forEach(follow);
  const pad = document.getElementById("pad");
  if (pad) setupPad(pad);
})();
