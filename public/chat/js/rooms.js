// Room names, the room in the URL (#room), the rooms this browser joined (localStorage), and the
// join form. The joined rooms are the ones the stream follows, for their unread counts.
const ROOM_RE = /^[a-z0-9_-]{1,64}$/;
const LAST_KEY = "chat.room";
const LIST_KEY = "chat.rooms";
const PRIVATE_KEY = "chat.rooms.private";
export const MAX_JOINED = 50; // one stream follows at most 50 rooms
export const DEFAULT_ROOM = "general";

export function isRoomName(name) {
  return ROOM_RE.test(name);
}

// Be forgiving about what people type ("#Dev Team" -> "dev-team"), strict about what is sent.
export function normalizeRoom(input) {
  return String(input)
    .trim()
    .replace(/^#/, "")
    .toLowerCase()
    .replace(/\s+/g, "-");
}

export function roomFromHash() {
  let raw = location.hash.slice(1);
  try {
    raw = decodeURIComponent(raw);
  } catch {
    /* keep it raw */
  }
  const room = normalizeRoom(raw);
  return isRoomName(room) ? room : null;
}

function readList(key) {
  try {
    const list = JSON.parse(localStorage.getItem(key));
    return Array.isArray(list) ? list.filter(isRoomName) : [];
  } catch {
    return [];
  }
}

function writeList(key, list) {
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch {
    /* not remembered, still usable */
  }
}

export function lastRoom() {
  try {
    const r = localStorage.getItem(LAST_KEY);
    return r && isRoomName(r) ? r : null;
  } catch {
    return null;
  }
}

// Most recently opened first.
export function joinedRooms() {
  const list = readList(LIST_KEY);
  return list.includes(DEFAULT_ROOM) ? list : [...list, DEFAULT_ROOM];
}

export function rememberRoom(room, { last = true } = {}) {
  const list = readList(LIST_KEY);
  if (!last && list.includes(room)) return;
  writeList(LIST_KEY, [room, ...list.filter((r) => r !== room)].slice(0, MAX_JOINED));
  if (!last) return;
  try {
    localStorage.setItem(LAST_KEY, room);
  } catch {
    /* not remembered, still usable */
  }
}

export function forgetRoom(room) {
  writeList(
    LIST_KEY,
    readList(LIST_KEY).filter((r) => r !== room),
  );
  if (lastRoom() === room) {
    try {
      localStorage.removeItem(LAST_KEY);
    } catch {
      /* nothing to do */
    }
  }
}

export const knownPrivate = () => new Set(readList(PRIVATE_KEY));

export function markPrivate(room, isPrivate) {
  const set = knownPrivate();
  if (set.has(room) === isPrivate) return;
  if (isPrivate) set.add(room);
  else set.delete(room);
  writeList(PRIVATE_KEY, [...set]);
}

// The sidebar's "join or create" form: a public room opens by its name.
export function createJoinForm({ form, input, error }, { onJoin }) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const room = normalizeRoom(input.value);
    if (!isRoomName(room)) {
      error.textContent = "Room names are 1–64 characters: a–z, 0–9, - and _.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    input.value = "";
    onJoin(room);
  });
  input.addEventListener("input", () => {
    if (error.textContent) {
      error.textContent = "";
      input.removeAttribute("aria-invalid");
    }
  });
}
