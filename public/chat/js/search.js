// Search in the viewed room's kept history (GET .../messages?q=): newest first, a page at a time,
// matches marked; a result jumps to its message in the conversation.
import { formatFull, formatTime } from "./format.js";

const PAGE = 20;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The text with each (case-insensitive) occurrence of `q` in a <mark>.
function marked(text, q) {
  const span = el("span", "search-text");
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); needle && i >= 0; i = lower.indexOf(needle, i + needle.length)) {
    span.append(text.slice(at, i), el("mark", "", text.slice(i, i + needle.length)));
    at = i + needle.length;
  }
  span.append(text.slice(at));
  return span;
}

// room() -> the viewed room; fetchPage(room, {search, before, limit}); jumpTo(id) -> a promise.
export function createSearch(els, { room, fetchPage, jumpTo }) {
  const { opener, panel, form, input, label, results, status, more, close } = els;
  let query = null; // { room, q, before }
  let version = 0;

  function setOpen(open) {
    panel.hidden = !open;
    opener.setAttribute("aria-expanded", String(open));
    if (open) {
      label.textContent = `Search #${room()}`;
      input.focus();
      input.select();
    }
  }

  function result(m, q) {
    const li = el("li");
    const b = el("button", "search-result");
    b.type = "button";
    const head = el("span", "search-head");
    const time = el("time", "", formatTime(m.ts));
    time.dateTime = new Date(m.ts).toISOString();
    time.title = formatFull(m.ts);
    head.append(el("strong", "", m.user), " ", time);
    b.append(head, " ", marked(m.text, q));
    b.addEventListener("click", () => jumpTo(m.id));
    li.append(b);
    return li;
  }

  async function load() {
    const v = ++version;
    const { room: r, q, before } = query;
    status.textContent = "Searching…";
    more.hidden = true;
    try {
      const page = await fetchPage(r, { search: q, before, limit: PAGE });
      if (v !== version) return;
      const found = page.messages.filter((m) => !m.deleted);
      results.append(...found.map((m) => result(m, q)));
      const n = results.childElementCount;
      status.textContent = n ? `${n}${page.has_more ? "+" : ""} ${n === 1 ? "message" : "messages"} with “${q}”` : `Nothing in #${r} with “${q}”.`;
      query.before = page.next_before || (page.messages.length ? page.messages[page.messages.length - 1].id : null);
      more.hidden = !page.has_more || !query.before;
    } catch (err) {
      if (v === version) status.textContent = `Couldn't search: ${err.message}`;
    }
  }

  opener.addEventListener("click", () => setOpen(panel.hidden));
  close.addEventListener("click", () => {
    setOpen(false);
    opener.focus();
  });
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      setOpen(false);
      opener.focus();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    query = { room: room(), q, before: null };
    results.replaceChildren();
    load();
  });
  more.addEventListener("click", () => query && load());

  return {
    // Another room: its own search.
    leaveRoom() {
      version += 1;
      query = null;
      results.replaceChildren();
      status.textContent = "";
      more.hidden = true;
      label.textContent = `Search #${room()}`;
    },
  };
}
