// The message list: keyed DOM updates (no full re-render, so focus and scroll survive),
// grouping, day separators, sticky-bottom scrolling, the "new messages" pill, and
// announcements for screen readers.
import { dayKey, dayLabel, formatFull, formatTime, hueOf } from "./format.js";
import { appendFormatted } from "./markup.js";
import { editedMark, reactionRow, replyQuote, statusNote, toolbar } from "./msgparts.js";
import { renderFiles } from "./files.js";
import { seenLine } from "./receipts.js";

const GROUP_MS = 5 * 60_000;
const NEAR_BOTTOM_PX = 64;
const NEAR_TOP_PX = 400;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function rowsFor(items) {
  const rows = [];
  let prev = null;
  for (const item of items) {
    const day = dayKey(item.ts);
    if (!prev || dayKey(prev.ts) !== day) {
      rows.push({ key: `day:${day}`, kind: "day", ts: item.ts });
      prev = null;
    }
    if (item.firstNew) {
      rows.push({ key: "new-since", kind: "new" });
      prev = null;
    }
    const grouped =
      prev !== null && prev.user === item.user && item.ts - prev.ts < GROUP_MS && prev.status !== "failed";
    rows.push({ key: `msg:${item.key}`, kind: "msg", item, grouped });
    prev = item;
  }
  return rows;
}

function signature(row) {
  if (row.kind === "day") return `day|${dayLabel(row.ts)}`;
  if (row.kind === "new") return "new";
  const { item } = row;
  return JSON.stringify([
    item.user,
    item.text,
    item.ts,
    item.mine,
    item.status,
    item.error,
    row.grouped,
    item.seen,
    item.mentionsMe,
    item.deleted,
    item.edited,
    item.replyTo,
    item.reactions,
    item.canEdit,
    item.canDelete,
    (item.files || []).map((f) => f && f.id),
  ]);
}

export function createView({ scroller, list, topNote, pill, announcer }, actions) {
  let lastKey = null;
  let unseen = 0;
  // Set while a smooth scroll to the bottom (the pill) runs: a render in between must not
  // pin the old position and cut that scroll short.
  let heading = false;

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
    setUnseen(0);
  }

  function setUnseen(n) {
    unseen = n;
    pill.hidden = n === 0;
    pill.textContent = n === 1 ? "1 new message ↓" : `${n} new messages ↓`;
  }

  function fillDay(li, row) {
    // A heading per day (screen readers jump by them); list items, as an <ol> holds only those.
    li.className = "day";
    li.replaceChildren(el("h2", "", dayLabel(row.ts)));
  }

  function fillNew(li) {
    li.className = "new-since";
    li.id = "new-since";
    li.tabIndex = -1;
    li.replaceChildren(el("span", "", "New since you were last here"));
  }

  function fillMessage(li, row) {
    const { item, grouped } = row;
    if (item.id) li.dataset.id = item.id;
    if (item.deleted) {
      li.className = "msg deleted";
      li.replaceChildren(el("p", "deleted-note", "This message was deleted."));
      return;
    }
    li.className = [
      "msg",
      item.mine ? "mine" : "theirs",
      grouped ? "grouped" : "first",
      item.status,
      item.mentionsMe && !item.mine ? "mentioned" : "",
    ]
      .filter(Boolean)
      .join(" ");
    const parts = [];
    if (!item.mine && !grouped) {
      const avatar = el("span", "avatar", [...item.user][0]?.toUpperCase() || "?");
      avatar.setAttribute("aria-hidden", "true");
      avatar.style.setProperty("--hue", hueOf(item.user));
      parts.push(avatar);
    }
    const content = el("div", "content");
    if (!item.mine && !grouped) content.append(el("div", "author", item.user));
    const bubble = el("div", "bubble");
    if (item.mine || grouped) bubble.append(el("span", "sr-only", item.mine ? "You: " : `${item.user}: `));
    if (item.replyTo) bubble.append(replyQuote(item.replyTo));
    const text = el("span", "text");
    appendFormatted(text, item.text, { isMe: actions.isMe });
    const time = el("time", "time", formatTime(item.ts));
    time.dateTime = new Date(item.ts).toISOString();
    time.title = formatFull(item.ts);
    bubble.append(text, " ");
    if (item.edited) bubble.append(editedMark(item.edited), " ");
    bubble.append(time);
    content.append(bubble);
    const files = renderFiles(item.files);
    if (files) content.append(files);
    if (files && !item.text) bubble.classList.add("bare"); // files alone: no empty bubble
    if (item.reactions && item.reactions.length) content.append(reactionRow(item.id, item.reactions));
    if (item.id && item.status === "sent") content.append(toolbar(item));
    const note = statusNote(item, actions);
    if (note) content.append(note);
    if (item.seen && item.seen.length) {
      const seen = el("div", "seen", seenLine(item.seen));
      seen.title = item.seen.join(", ");
      content.append(seen);
    }
    parts.push(content);
    li.replaceChildren(...parts);
  }

  // The first message visible at the top, so prepending history can keep it in place.
  // (Not a day separator: the same day's separator moves up above older messages.)
  function topAnchor() {
    const top = scroller.getBoundingClientRect().top;
    for (const li of list.querySelectorAll(":scope > .msg")) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top) return { li, offset: r.top - top };
    }
    return null;
  }

  scroller.addEventListener(
    "scroll",
    () => {
      if (nearBottom()) {
        heading = false;
        setUnseen(0);
        actions.onAtBottom();
      }
      if (scroller.scrollTop < NEAR_TOP_PX) actions.onNearTop();
    },
    { passive: true },
  );
  pill.addEventListener("click", () => {
    heading = true;
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: "smooth" });
    setUnseen(0);
  });
  // The reader takes over: stop heading for the bottom.
  for (const type of ["wheel", "touchstart", "keydown"]) {
    scroller.addEventListener(type, () => (heading = false), { passive: true });
  }

  return {
    // items: [{key, clientId?, user, text, ts, mine, status: "sent"|"sending"|"pending"|"failed", error,
    //          seen: [names whose last read message this is]}]
    render(items, { toBottom = false } = {}) {
      const wasAtBottom = heading || nearBottom();
      const anchor = wasAtBottom ? null : topAnchor();
      const rows = rowsFor(items);
      const existing = new Map();
      for (const li of list.children) existing.set(li.dataset.key, li);
      const keep = new Set(rows.map((r) => r.key));
      for (const [key, li] of existing) if (!keep.has(key)) li.remove();
      let cursor = list.firstElementChild;
      for (const row of rows) {
        let li = existing.get(row.key);
        const sig = signature(row);
        if (!li) {
          li = document.createElement("li");
          li.dataset.key = row.key;
        }
        if (li.dataset.sig !== sig) {
          const hadFocus = li.contains(document.activeElement);
          if (row.kind === "day") fillDay(li, row);
          else if (row.kind === "new") fillNew(li);
          else fillMessage(li, row);
          li.dataset.sig = sig;
          if (hadFocus) {
            // The focused button (Retry) was replaced: keep keyboard users on this message.
            li.tabIndex = -1;
            li.focus({ preventScroll: true });
          }
        }
        if (li === cursor) cursor = cursor.nextElementSibling;
        else list.insertBefore(li, cursor);
      }

      let fresh = 0;
      if (lastKey !== null) {
        for (let i = items.length - 1; i >= 0 && items[i].key !== lastKey; i--) {
          if (!items[i].mine) fresh += 1;
        }
        if (!items.some((it) => it.key === lastKey)) fresh = 0; // list was replaced, not appended to
      }
      lastKey = items.length ? items[items.length - 1].key : null;

      if (toBottom || wasAtBottom) {
        scrollToBottom();
      } else {
        if (anchor && anchor.li.isConnected) {
          const top = scroller.getBoundingClientRect().top;
          scroller.scrollTop += anchor.li.getBoundingClientRect().top - top - anchor.offset;
        }
        if (fresh) setUnseen(unseen + fresh);
      }
      // History shorter than the screen can't be scrolled up: fetch more straight away.
      if (scroller.scrollHeight <= scroller.clientHeight + NEAR_TOP_PX) actions.onNearTop();
    },

    reset() {
      list.replaceChildren();
      lastKey = null;
      setUnseen(0);
    },

    setTopNote(text) {
      topNote.textContent = text;
      topNote.hidden = !text;
    },

    announce(text) {
      const p = el("p", "", text);
      announcer.append(p);
      while (announcer.childElementCount > 3) announcer.firstElementChild.remove();
    },

    scrollToBottom,
    atBottom: nearBottom,
  };
}
