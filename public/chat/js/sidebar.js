// The room list: the rooms the user joined (with unread badges, a lock for private ones), then a
// few busy public rooms to discover. Links, so a room can be opened in a new tab. Rows are
// updated in place, so a focused link keeps its focus when a badge changes.
import { roomIcon } from "./icons.js";

const MORE_MAX = 8;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const srOnly = (text) => el("span", "sr-only", text);

// The link's name is its visible text and more ("side, 3 unread, 1 mention (private)"), in that
// order: what is seen comes first and unbroken, for people who speak the names they see.
function fill(a, row) {
  const label = el("span", "room-label", row.name);
  const parts = [roomIcon(row.private), label];
  // Zero-sized rather than sr-only: out-of-flow text would be read as "side , 3 unread".
  if (row.unread > 0 || row.mentions > 0) label.append(el("span", "said-only", ","));
  if (row.unread > 0) {
    parts.push(el("span", "badge", row.unread > 99 ? "99+" : String(row.unread)));
    parts.push(srOnly(row.mentions > 0 ? " unread," : " unread"));
  }
  if (row.mentions > 0) {
    const at = el("span", "badge mention", "@");
    at.setAttribute("aria-hidden", "true");
    parts.push(at, srOnly(row.mentions === 1 ? " 1 mention" : ` ${row.mentions} mentions`));
  }
  if (row.private) parts.push(srOnly(" (private)"));
  a.replaceChildren(...parts);
  a.classList.toggle("has-unread", row.unread > 0);
  a.title = row.topic || "";
}

function keyed(list) {
  const rows = new Map();
  return function render(items, current) {
    const keep = new Set(items.map((r) => r.name));
    for (const [name, li] of rows) {
      if (!keep.has(name)) {
        li.remove();
        rows.delete(name);
      }
    }
    let cursor = list.firstElementChild;
    for (const row of items) {
      let li = rows.get(row.name);
      if (!li) {
        li = el("li");
        const a = el("a", "room-link");
        a.href = `#${row.name}`;
        li.append(a);
        rows.set(row.name, li);
      }
      const a = li.firstElementChild;
      const sig = JSON.stringify([row.private, row.unread, row.mentions, row.topic]);
      if (a.dataset.sig !== sig) {
        fill(a, row);
        a.dataset.sig = sig;
      }
      if (row.name === current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
      if (li === cursor) cursor = cursor.nextElementSibling;
      else list.insertBefore(li, cursor);
    }
  };
}

// directory: the rooms (directory.js); unread: their counts (unread.js); current() -> the viewed
// room; onFollowed(): the rooms to follow may have changed. `topic` shows the viewed room's topic,
// `titleIcon` its mark ("#" or a lock) and `titlePrivate` says "(private)" to screen readers.
export function createSidebar(
  { list, more, moreHeading, topic, titleIcon, titlePrivate },
  { directory, unread, current, onFollowed },
) {
  const renderJoined = keyed(list);
  const renderMore = keyed(more);
  let queued = null;

  function render() {
    const now = current();
    const joined = directory.followed();
    const listing = directory.listing();
    // Busiest first, as the server lists them, and moved up as messages arrive.
    const rows = [...new Set(joined)]
      .sort((a, b) => directory.activity(b) - directory.activity(a) || a.localeCompare(b))
      .map((name) => ({
        name,
        private: directory.isPrivate(name),
        topic: directory.topic(name),
        unread: name === now ? 0 : unread.count(name),
        mentions: name === now ? 0 : unread.mentions(name),
      }));
    renderJoined(rows, now);
    const joinedSet = new Set(joined);
    const others = [...listing.values()]
      .filter((r) => !joinedSet.has(r.name) && !r.private && r.message_count > 0)
      .slice(0, MORE_MAX)
      .map((r) => ({ name: r.name, private: false, topic: r.topic || "", unread: 0, mentions: 0 }));
    renderMore(others, now);
    more.hidden = moreHeading.hidden = others.length === 0;
    topic.textContent = directory.topic(now);
    // The header marks the viewed room as the list does.
    const isPrivate = String(directory.isPrivate(now));
    if (titleIcon.dataset.private !== isPrivate) {
      titleIcon.dataset.private = isPrivate;
      titleIcon.replaceChildren(roomIcon(isPrivate === "true"));
      titlePrivate.textContent = isPrivate === "true" ? " (private)" : "";
    }
  }

  return {
    // Repaint once for a burst of changes; `followed`: the joined rooms may have changed too.
    queue({ followed = false } = {}) {
      if (queued) {
        queued.followed ||= followed;
        return;
      }
      queued = { followed };
      queueMicrotask(() => {
        const changed = queued.followed;
        queued = null;
        render();
        if (changed) onFollowed();
      });
    },
  };
}
