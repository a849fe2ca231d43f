// Unread counts per room, from message numbers: the room's newest `n` and the user's read `n`.
// The room list (GET /api/rooms) gives both; live messages and the user's own read events (from
// any tab or device) move them forward. Both only grow, so stale answers never undo news.
export function createUnread(onChange) {
  const rooms = new Map(); // room -> { last, read }

  function get(room) {
    if (!rooms.has(room)) rooms.set(room, { last: 0, read: 0 });
    return rooms.get(room);
  }

  function bump(room, field, n) {
    const st = get(room);
    if (!(n > st[field])) return;
    st[field] = n;
    onChange(room);
  }

  return {
    fromListing(list) {
      for (const r of list) {
        bump(r.name, "last", r.message_count);
        if (typeof r.unread === "number") bump(r.name, "read", r.message_count - r.unread);
      }
    },
    // A message arrived; the user's own count as read.
    message(room, n, mine) {
      bump(room, "last", n);
      if (mine) bump(room, "read", n);
    },
    read(room, n) {
      bump(room, "read", n);
    },
    readOf(room) {
      return get(room).read;
    },
    // Unread mentions of the user (wired to the server's counts with the conversation features).
    mentions() {
      return 0;
    },
    count(room) {
      const st = get(room);
      return Math.max(0, st.last - st.read);
    },
    // Someone else now: their read positions are not ours.
    clear() {
      rooms.clear();
      onChange(null);
    },
  };
}
