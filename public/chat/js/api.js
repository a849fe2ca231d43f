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
    /* an HTML error page from a proxy, or an empty body */
  }
  if (!res.ok) {
    const err = data && data.error;
    // 5xx, 429 and 408 are the server's trouble, not the message's: try again later.
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

export function fetchMessages(room, { before, after, limit = 50, signal } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before) q.set("before", before);
  if (after) q.set("after", after);
  return request(`${roomPath(room)}/messages?${q}`, { signal });
}

export function postMessage(room, body, auth) {
  return request(`${roomPath(room)}/messages`, { method: "POST", body, auth });
}

// Claims a guest name; with the current token (`auth`), renews this browser's own claim.
export function createSession(name, auth) {
  return request("/api/session", { method: "POST", body: { name }, auth });
}

export function eventsUrl(room, lastEventId) {
  const base = `${roomPath(room)}/events`;
  return lastEventId ? `${base}?last_event_id=${encodeURIComponent(lastEventId)}` : base;
}
