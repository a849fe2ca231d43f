// Wiring: rooms, history, the live stream, the outbox and the views.
import { fetchMessages, postMessage } from "./api.js";
import { createComposer } from "./composer.js";
import { createDrawer } from "./drawer.js";
import { authorized, ensureName, getName, isMe } from "./identity.js";
import { createNameField } from "./namefield.js";
import { createOutbox } from "./outbox.js";
import { createRoomList, DEFAULT_ROOM, lastRoom, rememberRoom, roomFromHash } from "./rooms.js";
import { createStatus } from "./status.js";
import { createStream } from "./stream.js";
import { Timeline } from "./timeline.js";
import { createView } from "./view.js";

const MAX_CHARS = 4000;
const PAGE = 50;
const $ = (id) => document.getElementById(id);

let room = null;
ensureName();
const timelines = new Map();
const syncing = new Map(); // room -> { again } while a catch-up runs
const justWritten = new Set(); // client ids typed in this page, for giving text back on refusal
let loadError = "";
let older = { busy: false, notBefore: 0 };
let unreadWhileHidden = 0;

const timelineFor = (r) => {
  if (!timelines.has(r)) timelines.set(r, new Timeline(r));
  return timelines.get(r);
};

// ---- views

const view = createView(
  { scroller: $("scroller"), list: $("messages"), topNote: $("top-note"), pill: $("new-pill"), announcer: $("announcer") },
  {
    onRetry: (id) => outbox.retry(id),
    onDiscard: (id) => {
      outbox.discard(id);
      composer.focus();
    },
    onEdit: (id) => {
      const entry = outbox.entries(room).find((e) => e.client_id === id);
      if (!entry) return;
      outbox.discard(id);
      composer.insert(entry.text);
    },
    onNearTop: () => loadOlder(),
  },
);

const status = createStatus(
  { root: $("conn"), text: $("conn-text"), detail: $("conn-detail"), retry: $("conn-retry") },
  {
    onRetry: () => {
      stream.retryNow();
      outbox.kick();
    },
  },
);

const composer = createComposer(
  { form: $("composer"), input: $("composer-input"), error: $("composer-error"), retry: $("composer-retry") },
  { onSubmit: send },
);

const roomList = createRoomList(
  { list: $("room-list"), form: $("join-form"), input: $("join-input"), error: $("join-error") },
  { onJoin: (r) => go(r) },
);

let renderQueued = false;
let renderToBottom = false;
function render({ toBottom = false } = {}) {
  renderToBottom ||= toBottom;
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => {
    renderQueued = false;
    const opts = { toBottom: renderToBottom };
    renderToBottom = false;
    paint(opts);
  });
}

function paint(opts) {
  if (!room) return;
  const t = timelineFor(room);
  const keys = new Set();
  const items = [];
  for (const m of t.messages) {
    let key = m.client_id ? `c:${m.client_id}` : `i:${m.id}`;
    if (keys.has(key)) key = `i:${m.id}`;
    keys.add(key);
    items.push({ key, user: m.user, text: m.text, ts: m.ts, mine: isMe(m.user), status: "sent" });
  }
  // Pending ones follow the confirmed ones; once echoed, the confirmed copy takes their key.
  for (const e of outbox.entries(room)) {
    if (t.hasClientId(e.client_id)) continue;
    const user = (e.fields && e.fields.user) || getName();
    items.push({ key: `c:${e.client_id}`, clientId: e.client_id, user, text: e.text, ts: e.ts, mine: true, status: e.status, error: e.error });
  }
  view.render(items, opts);
  let note = "";
  if (!t.loaded) note = loadError ? `Couldn't load messages: ${loadError}. Trying again…` : "Loading messages…";
  else if (older.busy) note = "Loading earlier messages…";
  else if (!t.hasMore) note = t.messages.length ? `This is the start of #${room}.` : `No messages in #${room} yet. Say hello!`;
  view.setTopNote(note);
}

// ---- data

function receive(r, messages, { live = false } = {}) {
  const t = timelines.get(r);
  if (!t) return;
  const added = t.add(messages);
  for (const m of added) if (m.client_id) outbox.confirm(m.client_id);
  if (!added.length || r !== room) return;
  render();
  if (!live) return;
  const others = added.filter((m) => !isMe(m.user));
  if (others.length === 1) view.announce(`${others[0].user}: ${others[0].text}`);
  else if (others.length > 1) view.announce(`${others.length} new messages`);
  if (document.hidden && others.length) {
    unreadWhileHidden += others.length;
    updateTitle();
  }
}

// Bring a room up to date: its latest page the first time, what came after our last id later.
async function sync(r) {
  const running = syncing.get(r);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: false };
  syncing.set(r, state);
  try {
    do {
      state.again = false;
      const t = timelineFor(r);
      try {
        if (!t.loaded || !t.lastId) {
          const page = await fetchMessages(r, { limit: PAGE });
          if (timelines.get(r) !== t) continue;
          t.add(page.messages);
          if (!t.loaded) t.hasMore = page.has_more;
          t.loaded = true;
        } else {
          const page = await fetchMessages(r, { after: t.lastId, limit: 200 });
          if (page.has_more || page.reset) {
            // Too far behind to fill in: start over from the latest page.
            const latest = await fetchMessages(r, { limit: PAGE });
            t.replace(latest.messages, latest.has_more);
            if (r === room) view.reset();
          } else {
            receive(r, page.messages, { live: true });
          }
        }
        if (r === room) loadError = "";
      } catch (err) {
        if (r !== room) break;
        loadError = err.message;
        setTimeout(() => r === room && sync(r), 5000);
      }
    } while (state.again);
  } finally {
    syncing.delete(r);
    if (r === room) render();
  }
}

async function loadOlder() {
  const r = room;
  const t = timelineFor(r);
  if (older.busy || !t.loaded || !t.hasMore || !t.firstId || Date.now() < older.notBefore) return;
  older.busy = true;
  render();
  try {
    const page = await fetchMessages(r, { before: t.firstId, limit: PAGE });
    t.add(page.messages);
    t.hasMore = page.has_more;
  } catch {
    older.notBefore = Date.now() + 5000; // don't hammer a server that is down
  } finally {
    older.busy = false;
    if (r === room) render();
  }
}

function resetRoom(r) {
  // The server no longer holds what followed our last id: reload instead of showing a gap.
  timelines.set(r, new Timeline(r));
  if (r === room) {
    view.reset();
    render({ toBottom: true });
  }
  sync(r);
}

const stream = createStream({
  onEvent({ room: r, kind, data }) {
    if (kind === "message") receive(r, [data], { live: true });
    else if (kind === "reset") resetRoom(r);
  },
  onState(state) {
    status.set(state);
  },
  onLive(r) {
    sync(r);
    outbox.kick();
  },
  lastIdFor: (r) => (timelines.get(r) ? timelines.get(r).lastId : null),
});

const outbox = createOutbox({
  send: (e) => authorized((auth) => postMessage(e.room, { text: e.text, client_id: e.client_id }, auth)),
  onChange: () => render(),
  onSent: (entry, message) => receive(entry.room, [message]),
  onFailed(entry) {
    const fresh = justWritten.has(entry.client_id) && Date.now() - entry.ts < 60_000;
    if (fresh && entry.room === room && composer.restore(entry.text, entry.error)) outbox.discard(entry.client_id);
  },
});

function send(text) {
  const clean = text.trim();
  const length = [...clean].length;
  if (length > MAX_CHARS) return `Too long to send: ${length} characters, the limit is ${MAX_CHARS}.`;
  const entry = outbox.add({ room, text: clean, fields: { user: getName() } });
  justWritten.add(entry.client_id);
  render({ toBottom: true });
  return null;
}

// ---- rooms

function updateTitle() {
  const unread = unreadWhileHidden ? `(${unreadWhileHidden}) ` : "";
  document.title = `${unread}#${room} · Chat`;
}

function open(r) {
  if (r === room) return;
  room = r;
  loadError = "";
  older = { busy: false, notBefore: 0 };
  rememberRoom(r);
  roomList.render(r);
  $("room-name").textContent = r;
  $("scroller").setAttribute("aria-label", `Messages in #${r}`);
  composer.setPlaceholder(`Message #${r}`);
  composer.clearError();
  updateTitle();
  view.reset();
  render({ toBottom: true });
  stream.watch(r);
  sync(r);
}

function go(r) {
  drawer.close();
  if (roomFromHash() === r) open(r);
  else location.hash = r;
}

addEventListener("hashchange", () => {
  const r = roomFromHash();
  if (r) open(r);
  else history.replaceState(null, "", `#${room}`);
  drawer.close();
});

// ---- header: name, drawer

createNameField(
  { form: $("name-form"), input: $("name-input"), error: $("name-error") },
  { onDone: () => composer.focus(), onRenamed: () => render() },
);

const drawer = createDrawer({
  toggle: $("rooms-toggle"),
  scrim: $("scrim"),
  focusOnOpen: () => $("room-list").querySelector("[aria-current]") || $("join-input"),
});

// The skip link must not put "#composer-input" in the URL: that is where the room goes.
document.querySelector(".skip-link").addEventListener("click", (e) => {
  e.preventDefault();
  composer.focus();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && unreadWhileHidden) {
    unreadWhileHidden = 0;
    updateTitle();
  }
});

open(roomFromHash() || lastRoom() || DEFAULT_ROOM);
if (!roomFromHash()) history.replaceState(null, "", `#${room}`);
