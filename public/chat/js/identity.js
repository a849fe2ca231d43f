// Who the user is: a guest name claimed from the server (POST /api/session), whose token
// authorises sending. Name and token live in localStorage, so all tabs are one person.
// Callers use getName, ensureName, isMe, changeName, onNameChange and authorized; registered
// accounts (a password) would only change what happens in here.
import { createSession } from "./api.js";

const NAME_KEY = "chat.name";
const SESSION_KEY = "chat.session";
const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
export const NAME_MAX = 32;
const listeners = new Set();

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

function sameName(a, b) {
  return String(a).toLowerCase() === String(b).toLowerCase();
}

export function getName() {
  return read(NAME_KEY) || memoryName;
}

export function isMe(user) {
  return sameName(user, getName());
}

function nameProblem(name) {
  return NAME_RE.test(name) ? null : "Names are 1–32 letters, digits, “-”, “_” or “.” (no spaces).";
}

function suggestName() {
  return `guest-${Math.floor(10000 + Math.random() * 90000)}`;
}

function notify(name) {
  for (const fn of listeners) fn(name);
}

// Claims `name` for this browser. Tabs take turns (a Web Lock), so they never compete
// for the same name; a tab that waited finds the claim already made.
async function claim(name, { force = false } = {}) {
  const run = async () => {
    const current = session();
    if (!force && current && sameName(current.name, name) && current.expires * 1000 > Date.now() + 60_000) {
      return current;
    }
    const auth = current ? { Authorization: `Bearer ${current.token}` } : {};
    const data = await createSession(name, auth);
    const fresh = { token: data.token, name: data.name, expires: data.expires };
    memorySession = fresh;
    write(SESSION_KEY, JSON.stringify(fresh));
    return fresh;
  };
  return navigator.locks ? navigator.locks.request("chat-session", run) : run();
}

// Becomes `name` if the server agrees. Returns a reason when it doesn't.
export async function changeName(name) {
  const problem = nameProblem(name);
  if (problem) return problem;
  try {
    await claim(name);
  } catch (err) {
    // Offline: keep the name and claim it when sending. Taken, reserved: say so.
    if (!err.retryable) return err.message;
  }
  memoryName = name;
  write(NAME_KEY, name);
  notify(name);
  return null;
}

// A name to start with, claimed lazily on the first send.
export function ensureName() {
  if (!getName()) {
    memoryName = suggestName();
    write(NAME_KEY, memoryName);
  }
  return getName();
}

export function onNameChange(fn) {
  listeners.add(fn);
}

// Another tab renamed: follow it so "own messages" stay consistent.
addEventListener("storage", (e) => {
  if (e.key === NAME_KEY && e.newValue) notify(e.newValue);
});

// Runs call(headers) with this person's credentials. A refused token (expired, or a guest
// name released after inactivity) is renewed once.
export async function authorized(call) {
  const name = getName();
  const first = await claim(name);
  try {
    return await call({ Authorization: `Bearer ${first.token}` });
  } catch (err) {
    if (err.status !== 401) throw err;
  }
  const renewed = await claim(name, { force: true });
  return call({ Authorization: `Bearer ${renewed.token}` });
}
