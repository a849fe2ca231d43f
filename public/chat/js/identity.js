// Who the user is: a guest name, or a registered one (with a password), claimed from the
// server, whose token authorises writing and whose cookie authenticates the stream. Name and
// token live in localStorage, so all tabs are one person; tabs take turns (a Web Lock) to talk
// to the server about it, so they never compete for the same name.
import { ApiError, createSession, endSession, renameSession, whoAmI } from "./api.js";
import { mentionedNames } from "./markup.js";

const NAME_KEY = "chat.name";
const SESSION_KEY = "chat.session";
const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
export const NAME_MAX = 32;
export const PASSWORD_MIN = 8;
const listeners = new Set();
const troubles = new Set();

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* private mode: kept for this page only, below */
  }
}

let memoryName = read(NAME_KEY) || "";
let memorySession = null;

function session() {
  try {
    return JSON.parse(read(SESSION_KEY)) || memorySession;
  } catch {
    return memorySession;
  }
}

const sameName = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
const bearer = (s) => ({ Authorization: `Bearer ${s.token}` });
const fresh = (s) => s && s.expires * 1000 > Date.now() + 60_000;
const locked = (run) => (navigator.locks ? navigator.locks.request("chat-session", run) : run());

export const getName = () => read(NAME_KEY) || memoryName;
export const myUserId = () => session()?.user_id || null;
// Whether a message, read position or typing event (or a bare name) is this person's: by the
// account id when both sides have one (a rename keeps it), else by the name.
export function isMe(who) {
  if (who && typeof who === "object") {
    const s = session();
    if (who.user_id && s && s.user_id) return who.user_id === s.user_id;
    who = who.user;
  }
  return Boolean(getName()) && sameName(who, getName());
}

// Whether a message mentions this person: by the ids the server resolved, else by an @name.
export function mentionsMe(message) {
  const s = session();
  if (Array.isArray(message.mentions) && s && s.user_id) return message.mentions.includes(s.user_id);
  return mentionedNames(message.text || "").some((name) => isMe(name));
}

// "guest", "user" (registered), or "" before a name is claimed.
export function getKind() {
  const s = session();
  return s && sameName(s.name, getName()) ? s.kind || "guest" : "";
}

export function nameProblem(name) {
  return NAME_RE.test(name) ? null : "Names are 1–32 letters, digits, “-”, “_” or “.” (no spaces).";
}

let known = `${getName()}|${getKind()}`;
function notify() {
  const now = `${getName()}|${getKind()}`;
  if (now === known) return;
  known = now;
  for (const fn of listeners) fn({ name: getName(), kind: getKind() });
}

// Called with {name, kind} when this tab or another one changes who the user is.
export function onChange(fn) {
  listeners.add(fn);
}

// Called with a reason when the user has to act (a registered session ended, a name was lost).
export function onTrouble(fn) {
  troubles.add(fn);
}

addEventListener("storage", (e) => {
  if (e.key === NAME_KEY || e.key === SESSION_KEY || e.key === null) notify();
});

function store(data) {
  const s = {
    token: data.token,
    user_id: data.user_id,
    name: data.name,
    kind: data.kind || "guest",
    expires: data.expires,
  };
  memorySession = s;
  memoryName = s.name;
  write(SESSION_KEY, JSON.stringify(s));
  write(NAME_KEY, s.name);
  return s;
}

function forget() {
  memorySession = null;
  memoryName = "";
  write(SESSION_KEY, null);
  write(NAME_KEY, null);
}

function claimGuest(name, current) {
  const renew = current && current.kind !== "user" && sameName(current.name, name);
  return createSession({ name }, renew ? bearer(current) : {});
}

// On load: make sure the cookie speaks for the stored name. Returns null when it does (or the
// server can't be reached: sending claims it later), else a problem for the name dialog.
export function start() {
  const name = getName();
  if (!name) return Promise.resolve({ code: "no_name", message: "" });
  return locked(async () => {
    const s = session();
    const mine = s && sameName(s.name, name);
    try {
      if (mine && fresh(s)) {
        const me = await whoAmI().catch((err) => (err.retryable ? { name, kind: s.kind } : null));
        if (me && sameName(me.name, name) && me.kind === s.kind) return null;
      }
      if (mine && s.kind === "user") {
        return { code: "session_ended", message: `Your session has ended: enter the password for “${name}”.` };
      }
      store(await claimGuest(name, s));
      notify();
      return null;
    } catch (err) {
      return err.retryable ? null : { code: err.code, message: err.message };
    }
  });
}

// Becomes `name`: without a password, the same account renamed (its messages stay its own);
// with one, the registered account of that name (registering the name if it is free). A guest's
// old name is released first, and taken back if the new one is refused. Returns null, or what
// went wrong.
export async function switchTo(name, password = "") {
  const problem = nameProblem(name);
  if (problem) return problem;
  if (password && password.length < PASSWORD_MIN) return `Passwords have at least ${PASSWORD_MIN} characters.`;
  return locked(async () => {
    const old = session();
    const released = old && old.kind !== "user" && fresh(old) ? old : null;
    try {
      if (!password && released && sameName(old.name, name)) {
        store(await claimGuest(name, old));
        return null;
      }
      if (!password && old && fresh(old)) {
        store(await renameSession(name, bearer(old)));
        return null;
      }
      if (released) await endSession(bearer(released)).catch(() => {});
      try {
        store(await createSession(password ? { name, password } : { name }));
      } catch (err) {
        // Refused: take the old name back. (Unreachable: nothing changed, or a send renews it.)
        if (released && !err.retryable) {
          await createSession({ name: released.name }).then(store, (lost) => {
            if (lost.retryable) return;
            forget(); // someone took it meanwhile: the user needs a name again
            for (const fn of troubles) fn({ code: "no_name", message: err.message });
          });
        }
        return err.message;
      }
      return null;
    } catch (err) {
      return err.message;
    } finally {
      notify();
    }
  });
}

// Leaves: frees a guest name, forgets the token and clears the cookie.
export async function signOut() {
  await locked(async () => {
    const s = session();
    await endSession(s ? bearer(s) : {}).catch(() => {});
    forget();
  });
  notify();
}

// A token for the current name: kept while fresh, a guest's renewed when not (or when `force`).
// A registered user whose token lapsed has to give the password again: the user is told, and
// the caller gets a retryable error, so what it was sending waits.
async function claim({ force = false } = {}) {
  const name = getName();
  if (!name) {
    for (const fn of troubles) fn({ code: "no_name", message: "" });
    throw new ApiError("Choose a name first", { retryable: true });
  }
  return locked(async () => {
    const s = session();
    const mine = s && sameName(s.name, name);
    if (mine && !force && fresh(s)) return s;
    if (mine && s.kind === "user") {
      const message = `Your session has ended: enter the password for “${name}”.`;
      for (const fn of troubles) fn({ code: "session_ended", message });
      throw new ApiError("Sign in again to send", { status: 401, code: "session_ended", retryable: true });
    }
    try {
      const renewed = store(await claimGuest(name, s));
      notify();
      return renewed;
    } catch (err) {
      if (err.status === 409) {
        for (const fn of troubles) fn({ code: err.code, message: err.message });
        throw new ApiError(err.message, { status: 409, code: err.code, retryable: true });
      }
      throw err;
    }
  });
}

// Runs call(headers) with this person's credentials. A refused token (expired, or a guest
// name released after inactivity) is renewed once.
export async function authorized(call) {
  const first = await claim();
  try {
    return await call(bearer(first));
  } catch (err) {
    if (err.status !== 401) throw err;
  }
  const renewed = await claim({ force: true });
  return call(bearer(renewed));
}
