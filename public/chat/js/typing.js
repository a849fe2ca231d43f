// "X is typing…": who is typing in each room (from `typing` events, until they expire or the
// person's message arrives), the line above the composer, and telling the room when the user
// types (at most every 2 s: the server would drop more anyway).
const SEND_EVERY_MS = 2000;
const DEFAULT_EXPIRES_MS = 5000;

export function describeTyping(names) {
  if (!names.length) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return "Several people are typing…";
}

export function createTyping({ line, text }, { isMe, send }) {
  const rooms = new Map(); // room -> Map(user key -> { user, until })
  let current = null;
  let timer = null;
  let lastSent = { room: null, at: 0 };

  function people(room) {
    if (!rooms.has(room)) rooms.set(room, new Map());
    return rooms.get(room);
  }

  function render() {
    clearTimeout(timer);
    timer = null;
    const now = Date.now();
    const names = [];
    let next = Infinity;
    for (const [key, p] of people(current)) {
      if (p.until <= now) people(current).delete(key);
      else {
        names.push(p.user);
        next = Math.min(next, p.until);
      }
    }
    const sentence = describeTyping(names);
    if (text.textContent !== sentence) text.textContent = sentence;
    line.classList.toggle("active", names.length > 0);
    if (next < Infinity) timer = setTimeout(render, next - now + 20);
  }

  return {
    // A `typing` event: {room, user, expires_in_ms}.
    typing(room, data) {
      if (!data || !data.user || isMe(data)) return;
      const expires = Number(data.expires_in_ms) || DEFAULT_EXPIRES_MS;
      people(room).set(String(data.user).toLowerCase(), { user: data.user, until: Date.now() + expires });
      if (room === current) render();
    },
    // Their message arrived: they have stopped typing it.
    stopped(room, user) {
      if (people(room).delete(String(user).toLowerCase()) && room === current) render();
    },
    show(room) {
      current = room;
      render();
    },
    // The user typed in the composer of `room`.
    input(room, value) {
      if (!room || !value.trim()) return;
      const now = Date.now();
      if (lastSent.room === room && now - lastSent.at < SEND_EVERY_MS) return;
      lastSent = { room, at: now };
      send(room).catch(() => {});
    },
    // The message went: the next keystroke starts a new announcement.
    sent() {
      lastSent = { room: null, at: 0 };
    },
  };
}
