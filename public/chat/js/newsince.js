// "New since you were last here": where the user's read position stood when they opened the
// room (kept while they stay, however far they read meanwhile), the line above the first message
// from others after it, and a button that jumps up to that line, loading older pages if needed.
const MAX_PAGES = 20;

// isMe(message or position); loadOlder(): fetches one older page (a promise); timeline(): the
// viewed room's Timeline.
export function createNewSince({ scroller, list, button }, { isMe, loadOlder, timeline }) {
  let room = null;
  let readN; // undefined: not known yet; null: nothing to mark
  let olderUnread = false; // the first unread is older than the loaded pages
  let shown; // what the last call of firstId found (undefined: not called since readN was known)

  function update() {
    const line = list.querySelector(":scope > .new-since");
    const top = scroller.getBoundingClientRect().top;
    const above = line ? line.getBoundingClientRect().bottom <= top + 1 : olderUnread;
    button.hidden = !above;
  }

  async function jump() {
    for (let i = 0; i < MAX_PAGES && olderUnread && timeline().hasMore; i++) {
      await loadOlder();
      await new Promise(requestAnimationFrame); // the page is painted, `olderUnread` says again
    }
    const line = list.querySelector(":scope > .new-since");
    if (!line) return;
    line.scrollIntoView({ block: "start" });
    line.focus({ preventScroll: true });
    update();
  }

  button.addEventListener("click", () => jump());
  scroller.addEventListener("scroll", update, { passive: true });

  return {
    // The user opens room `r`; `readN`: their read position, if known already (else undefined).
    enter(r, n) {
      room = r;
      readN = n || undefined;
      shown = undefined;
      olderUnread = false;
      button.hidden = true;
    },
    // A page of history with everyone's read positions: the user's own, the first time.
    page(r, reads) {
      if (r !== room || readN !== undefined) return;
      const mine = (reads || []).find((pos) => isMe(pos));
      readN = mine ? mine.n : null;
    },
    // The id of the message the line goes above, among the loaded `messages` (sorted), or null.
    // `watching`: the user sees the newest messages arrive; with no line yet, those need none.
    firstId(messages, hasMore, watching) {
      olderUnread = false;
      if (readN == null) return null;
      const last = messages[messages.length - 1];
      if (watching && shown === null && last && typeof last.n === "number") readN = Math.max(readN, last.n);
      const first = messages.find((m) => typeof m.n === "number" && m.n > readN && !isMe(m));
      shown = first ? first.id : null;
      // Older pages not loaded yet may hold earlier unread ones: the line waits for them.
      if (first && hasMore && messages[0].n > readN + 1) {
        olderUnread = true;
        return null;
      }
      return shown;
    },
    update,
  };
}
