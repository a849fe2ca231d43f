// The core's HTTP contract. Every failure becomes an ApiError saying whether a retry can help.

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network", retryable = false } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
  }
}

const roomPath = (room) => `/api/rooms/${encodeURIComponent(room)}`;

async function request(path, { method = "GET", body, signal, auth } = {}) {
  const headers = { Accept: "application/json", ...auth };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("Can't reach the server", { retryable: true });
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* an HTML error page from a proxy, or an empty body (204) */
  }
  if (!res.ok) {
    const err = data && data.error;
    // 5xx, 429 and 408 are the server's trouble, not the request's: try again later.
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    const fallback = retryable ? "The server is unavailable" : `Request failed (${res.status})`;
    throw new ApiError((err && err.message) || fallback, {
      status: res.status,
      code: (err && err.code) || `http_${res.status}`,
      retryable,
    });
  }
  return data;
}

export function fetchMessages(room, { before, after, limit = 50, signal, search } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (search) q.set("q", search);
  if (before) q.set("before", before);
  if (after) q.set("after", after);
  return request(`${roomPath(room)}/messages?${q}`, { signal });
}

export function postMessage(room, body, auth) {
  return request(`${roomPath(room)}/messages`, { method: "POST", body, auth });
}

const messagePath = (room, id) => `${roomPath(room)}/messages/${encodeURIComponent(id)}`;

// Answers the message as it now is.
export function editMessage(room, id, text, auth) {
  return request(messagePath(room, id), { method: "PATCH", body: { text }, auth });
}

export function deleteMessage(room, id, auth) {
  return request(messagePath(room, id), { method: "DELETE", auth });
}

// Adds (`on`) or takes back the user's reaction; answers the message as it now is.
export function setReaction(room, id, emoji, on, auth) {
  const path = `${messagePath(room, id)}/reactions/${encodeURIComponent(emoji)}`;
  return request(path, { method: on ? "PUT" : "DELETE", auth });
}

// A guest name ({name}) or a registered one ({name, password}). With the current token
// (`auth`), a guest renews its own claim. Sets the cookie that authenticates the stream.
export function createSession(body, auth) {
  return request("/api/session", { method: "POST", body, auth });
}

// A new display name for the same account.
export function renameSession(name, auth) {
  return request("/api/session", { method: "PATCH", body: { name }, auth });
}

// Ends this session (a guest's last one frees its name) and clears the cookie.
export function endSession(auth) {
  return request("/api/session", { method: "DELETE", auth });
}

// Who the cookie says this browser is.
export function whoAmI() {
  return request("/api/session");
}

export function fetchRooms() {
  return request("/api/rooms");
}

export function createRoom(body, auth) {
  return request("/api/rooms", { method: "POST", body, auth });
}

export function fetchMembers(room) {
  return request(`${roomPath(room)}/members`);
}

export function addMember(room, name, auth) {
  return request(`${roomPath(room)}/members`, { method: "POST", body: { name }, auth });
}

// Leaves a room (`name`: the user's own) or removes a member (its creator, an admin).
export function removeMember(room, name, auth) {
  return request(`${roomPath(room)}/members/${encodeURIComponent(name)}`, { method: "DELETE", auth });
}

export function fetchPresence(room) {
  return request(`${roomPath(room)}/presence`);
}

export function postTyping(room, auth) {
  return request(`${roomPath(room)}/typing`, { method: "POST", auth });
}

export function postRead(room, id, auth) {
  return request(`${roomPath(room)}/read`, { method: "POST", body: { id }, auth });
}

// One stream for several rooms; `lastEventId` ("a:1-0,b:2-0") resumes the rooms it names.
export function streamUrl(rooms, lastEventId) {
  const q = new URLSearchParams({ rooms: rooms.join(",") });
  if (lastEventId) q.set("last_event_id", lastEventId);
  return `/api/events?${q}`;
}
