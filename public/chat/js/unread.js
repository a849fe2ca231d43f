// Unread counts per room, from message numbers: the room's newest `n` and the user's read `n`.
// The room list (GET /api/rooms) gives both; live messages and the user's own read events (from
// any tab or device) move them forward. Both only grow, so stale answers never undo news.
export function createUnread(onChange) {
  const rooms = new Map(); // room -> { last, read }

  function get(room) {
    // listed: unread mentions as the room list counted them; live: numbers of those seen since
    if (!rooms.has(room)) rooms.set(room, { last: 0, read: 0, listed: 0, live: [] });
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
        if (typeof r.mentions === "number") {
          const st = get(r.name);
          st.listed = r.mentions;
          st.live = st.live.filter((n) => n > r.message_count);
          onChange(r.name);
        }
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
    // A message that mentions the user arrived (live).
    mention(room, n) {
      const st = get(room);
      if (n > st.read && !st.live.includes(n)) {
        st.live.push(n);
        onChange(room);
      }
    },
    // Unread messages that mention the user: none once the room is read to its end.
    mentions(room) {
      const st = get(room);
      if (st.read >= st.last) return 0;
      return st.listed + st.live.filter((n) => n > st.read).length;
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
