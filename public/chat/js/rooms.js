// Room names, the room in the URL (#room), and the remembered list of rooms.
const ROOM_RE = /^[a-z0-9_-]{1,64}$/;
const LAST_KEY = "chat.room";
const LIST_KEY = "chat.rooms";
const MAX_RECENT = 12;
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

function readList() {
  try {
    const list = JSON.parse(localStorage.getItem(LIST_KEY));
    return Array.isArray(list) ? list.filter(isRoomName) : [];
  } catch {
    return [];
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

export function recentRooms() {
  const list = readList();
  return list.includes(DEFAULT_ROOM) ? list : [DEFAULT_ROOM, ...list];
}

export function rememberRoom(room) {
  const list = [room, ...readList().filter((r) => r !== room)].slice(0, MAX_RECENT);
  try {
    localStorage.setItem(LAST_KEY, room);
    localStorage.setItem(LIST_KEY, JSON.stringify(list));
  } catch {
    /* not remembered, still usable */
  }
}

// The sidebar: links (so a room can be opened in a new tab) and the join form.
export function createRoomList({ list, form, input, error }, { onJoin }) {
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

  return {
    render(current) {
      const rooms = recentRooms();
      if (!rooms.includes(current)) rooms.unshift(current);
      list.replaceChildren(
        ...rooms.map((room) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = `#${room}`;
          a.className = "room-link";
          const hash = document.createElement("span");
          hash.className = "hash";
          hash.setAttribute("aria-hidden", "true");
          hash.textContent = "#";
          a.append(hash, room);
          if (room === current) a.setAttribute("aria-current", "page");
          li.append(a);
          return li;
        }),
      );
    },
  };
}
