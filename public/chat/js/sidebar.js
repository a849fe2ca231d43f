// The room list: the rooms the user joined (with unread badges, a lock for private ones), then a
// few busy public rooms to discover. Links, so a room can be opened in a new tab. Rows are
// updated in place, so a focused link keeps its focus when a badge changes.
const MORE_MAX = 8;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function icon(isPrivate) {
  if (!isPrivate) {
    const hash = el("span", "hash", "#");
    hash.setAttribute("aria-hidden", "true");
    return hash;
  }
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("lock");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

function fill(a, row) {
  const parts = [icon(row.private), el("span", "room-label", row.name)];
  if (row.unread > 0) parts.push(el("span", "badge", row.unread > 99 ? "99+" : String(row.unread)));
  a.replaceChildren(...parts);
  // Said in one go ("side (private), 3 unread"), not as the pieces the layout shows.
  const label = `${row.name}${row.private ? " (private)" : ""}${row.unread > 0 ? `, ${row.unread} unread` : ""}`;
  a.setAttribute("aria-label", label);
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
      const sig = JSON.stringify([row.private, row.unread, row.topic]);
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
// room; onFollowed(): the rooms to follow may have changed. `topic` shows the viewed room's topic.
export function createSidebar({ list, more, moreHeading, topic }, { directory, unread, current, onFollowed }) {
  const renderJoined = keyed(list);
  const renderMore = keyed(more);
  let queued = null;

  function render() {
    const now = current();
    const joined = directory.followed();
    const listing = directory.listing();
    const rows = [...new Set(joined)]
      .sort((a, b) => a.localeCompare(b))
      .map((name) => ({
        name,
        private: directory.isPrivate(name),
        topic: directory.topic(name),
        unread: name === now ? 0 : unread.count(name),
      }));
    renderJoined(rows, now);
    const joinedSet = new Set(joined);
    const others = [...listing.values()]
      .filter((r) => !joinedSet.has(r.name) && !r.private && r.message_count > 0)
      .slice(0, MORE_MAX)
      .map((r) => ({ name: r.name, private: false, topic: r.topic || "", unread: 0 }));
    renderMore(others, now);
    more.hidden = moreHeading.hidden = others.length === 0;
    topic.textContent = directory.topic(now);
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
