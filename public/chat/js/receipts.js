// Read receipts: everyone's read position per room (from history pages and `read` events), the
// "Seen by" lines they make, and telling the server how far the user has read (throttled).
const MARK_EVERY_MS = 1500;

export function seenLine(names) {
  if (!names.length) return "";
  if (names.length === 1) return `Seen by ${names[0]}`;
  if (names.length <= 3) return `Seen by ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  const rest = names.length - 2;
  return `Seen by ${names[0]}, ${names[1]} and ${rest} others`;
}

export function createReceipts({ post, onChange }) {
  const rooms = new Map(); // room -> Map(user key -> { user, n, id })
  const marks = new Map(); // room -> { sent: n, at, timer, inflight, want: {id, n} }

  function positions(room) {
    if (!rooms.has(room)) rooms.set(room, new Map());
    return rooms.get(room);
  }

  function apply(room, pos) {
    if (!pos || !pos.user || typeof pos.n !== "number") return false;
    const key = String(pos.user).toLowerCase();
    const map = positions(room);
    const had = map.get(key);
    if (had && had.n >= pos.n) return false;
    map.set(key, { user: pos.user, n: pos.n, id: pos.id });
    return true;
  }

  async function flush(room) {
    const m = marks.get(room);
    if (!m || m.inflight || !m.want || m.want.n <= m.sent) return;
    const wait = m.at + MARK_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!m.timer) {
        m.timer = setTimeout(() => {
          m.timer = null;
          flush(room);
        }, wait);
      }
      return;
    }
    const want = m.want;
    m.inflight = true;
    m.at = Date.now();
    try {
      const pos = await post(room, want.id);
      m.sent = Math.max(m.sent, want.n);
      if (apply(room, pos)) onChange(room, pos);
    } catch {
      m.at = Date.now() + 5000; // the server is away or refused: try later, not in a loop
    } finally {
      m.inflight = false;
      if (m.want && m.want.n > m.sent) flush(room);
    }
  }

  return {
    // Positions from a history page ("reads") or a `read` event. Returns whether any moved.
    update(room, list) {
      let changed = false;
      for (const pos of list || []) changed = apply(room, pos) || changed;
      return changed;
    },
    // For each message, who has seen it as the last one they read: Map(message id -> [names]).
    // `messages` are confirmed and sorted; the author and the user are left out.
    seen(room, messages, isMe) {
      const out = new Map();
      const withN = messages.filter((m) => typeof m.n === "number");
      if (!withN.length) return out;
      for (const pos of positions(room).values()) {
        if (isMe(pos)) continue;
        let lo = 0;
        let hi = withN.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (withN[mid].n <= pos.n) lo = mid + 1;
          else hi = mid;
        }
        const m = withN[lo - 1];
        if (!m || String(m.user).toLowerCase() === String(pos.user).toLowerCase()) continue;
        if (!out.has(m.id)) out.set(m.id, []);
        out.get(m.id).push(pos.user);
      }
      for (const names of out.values()) names.sort((a, b) => a.localeCompare(b));
      return out;
    },
    // The user has seen `message` (visible, at the bottom): tell the server, at most every 1.5 s.
    mark(room, message, alreadyRead) {
      if (!message || typeof message.n !== "number" || message.n <= alreadyRead) return;
      if (!marks.has(room)) marks.set(room, { sent: alreadyRead, at: 0, timer: null, inflight: false, want: null });
      const m = marks.get(room);
      if (m.want && m.want.n >= message.n) return;
      m.want = { id: message.id, n: message.n };
      flush(room);
    },
    clear() {
      rooms.clear();
      for (const m of marks.values()) clearTimeout(m.timer);
      marks.clear();
    },
  };
}
