// The leader tab's side of the stream: ONE EventSource (GET /api/events?rooms=a,b) for every
// room any tab follows, resumed by a composite id built from each room's own last id. When the
// set of rooms grows, the stream is reopened at once; when it shrinks, after a grace period.
import { fetchPresence, streamUrl } from "./api.js";

export const MAX_ROOMS = 50; // the server's limit per stream
const CLOSE_GRACE_MS = 10_000; // keep an unneeded room a while: tabs reload, users switch back
const SWEEP_MS = 30_000; // how often the leader checks which tabs are still there
const TROUBLE_AFTER = 3; // failed attempts in a row before calling it the server's trouble
const KINDS = ["message", "edit", "delete", "reaction", "typing", "presence", "read", "reset", "ready", "access",
  "membership"];
// Changes to messages are stream entries with ids of their own: resuming goes past them too.
const POSITIONED = new Set(["message", "edit", "delete", "reaction", "ready", "reset"]);

// Quick at first (most outages are a deploy or a blip), then every few seconds: one
// small request per browser, not per tab, so patience costs the server little.
function backoff(failures) {
  const base = Math.min(5000, 250 * 2 ** failures);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

// "a:1-0,b:2-0" -> Map{a: "1-0", b: "2-0"}
export function parsePositions(value) {
  const map = new Map();
  for (const part of String(value || "").split(",")) {
    const i = part.lastIndexOf(":");
    if (i > 0) map.set(part.slice(0, i), part.slice(i + 1));
  }
  return map;
}

// publish(message) reaches every tab, this one included; `positions` (room -> last id) is
// shared with the tab side, which keeps it up to date from every event it receives.
export function createLeader(tabId, { publish, positions, ready }) {
  const needs = new Map(); // tab id -> { focus, rooms, stale }
  const denied = new Set(); // rooms the server refused us (private, not a member)
  const c = {
    es: null, // the newest stream, open or opening
    live: null, // the one open now: the same, or the one `es` is replacing
    rooms: [], // what the stream should follow
    liveRooms: [], // what the open one follows
    status: "connecting",
    failures: 0,
    session: 0, // counts the streams opened: each one is a fresh start for the tabs
    retryAt: 0,
    openedAt: 0,
  };
  const counting = new Set(); // streams whose events count: the current one, and one it replaces
  let started = false;
  let reopenTimer = null;
  let shrinkTimer = null;

  function broadcastState() {
    let status = c.status;
    // Offline only when the browser says so; a server that keeps refusing is in trouble.
    if (status !== "live" && !navigator.onLine) status = "offline";
    else if (status !== "live" && c.failures >= TROUBLE_AFTER) status = "trouble";
    publish({ t: "state", leader: tabId, status, session: c.session, retryAt: c.retryAt, rooms: c.liveRooms });
  }

  function wanted() {
    const focus = [];
    const rest = [];
    for (const n of needs.values()) {
      if (n.focus) focus.push(n.focus);
      rest.push(...n.rooms);
    }
    return [...new Set([...focus, ...rest])].filter((r) => !denied.has(r)).slice(0, MAX_ROOMS);
  }

  function lastEventId(rooms) {
    return rooms
      .filter((r) => positions.has(r))
      .map((r) => `${r}:${positions.get(r)}`)
      .join(",");
  }

  function onFrame(kind, e) {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    if (!data || typeof data.room !== "string") return;
    // Only the event's own room's part of the id counts: the others may not be anchored yet.
    const id = POSITIONED.has(kind) ? parsePositions(e.lastEventId).get(data.room) || null : null;
    publish({ t: "event", room: data.room, kind, id, data });
  }

  function close(es) {
    if (!es) return;
    es.close();
    counting.delete(es);
    if (c.live === es) c.live = null;
  }

  function connect() {
    clearTimeout(c.timer);
    c.timer = null;
    // The live stream being replaced stays open until the new one is: the server counts the
    // user's streams, so nobody sees them leave and come back. What both deliver, tabs drop.
    const prev = c.live;
    if (c.es !== prev) close(c.es); // a replacement still opening: not needed any more
    c.es = null;
    if (!started || !c.rooms.length) {
      close(prev);
      c.status = "connecting";
      broadcastState();
      return;
    }
    const rooms = c.rooms;
    const es = new EventSource(streamUrl(rooms, lastEventId(rooms)));
    c.es = es;
    counting.add(es);
    let opened = false;
    es.onopen = () => {
      opened = true;
      close(prev);
      c.live = es;
      c.liveRooms = rooms;
      c.openedAt = Date.now();
      c.failures = 0;
      c.status = "live";
      c.session += 1;
      c.retryAt = 0;
      broadcastState();
    };
    for (const kind of KINDS) es.addEventListener(kind, (e) => counting.has(es) && onFrame(kind, e));
    // EventSource would reconnect by itself, but with the URL's stale last_event_id;
    // reconnecting by hand keeps the resume point and the backoff ours.
    es.onerror = async () => {
      close(es);
      if (c.es !== es) return; // replaced already
      close(prev);
      c.es = null;
      c.status = "reconnecting";
      if (!opened && c.failures === 0 && (await dropRefused())) return;
      if (c.es || c.timer) return; // reconnected meanwhile
      // A stream the server ended is resumed at once, unless streams keep ending straight away.
      const quick = Date.now() - c.openedAt < 1000;
      const delay = opened ? (quick ? 1000 : 100) : backoff(c.failures);
      if (!opened) c.failures += 1;
      c.retryAt = Date.now() + delay;
      c.timer = setTimeout(connect, delay);
      broadcastState();
    };
  }

  // A stream refused outright may name a room we may not read (a private one): find out which,
  // leave those out and tell the tabs. Returns whether that was it.
  async function dropRefused() {
    const rooms = c.rooms;
    const refused = await Promise.all(
      rooms.map((r) => fetchPresence(r).then(() => null, (err) => ([401, 403].includes(err.status) ? r : null))),
    );
    const out = refused.filter(Boolean);
    if (!out.length) return false;
    for (const r of out) denied.add(r);
    publish({ t: "denied", rooms: out });
    c.rooms = wanted();
    connect();
    return true;
  }

  const key = (rooms) => [...rooms].sort().join(",");

  function sync() {
    const want = wanted();
    const have = new Set(c.rooms);
    if (want.some((r) => !have.has(r))) {
      clearTimeout(shrinkTimer);
      shrinkTimer = null;
      clearTimeout(reopenTimer);
      // Tabs announce themselves in a burst on load: open once for all of them.
      reopenTimer = setTimeout(() => {
        reopenTimer = null;
        const now = wanted();
        if (key(now) === key(c.rooms) && (c.es || c.timer)) return;
        c.rooms = now;
        c.failures = 0;
        connect();
      }, 30);
    } else if (want.length < c.rooms.length && !shrinkTimer) {
      shrinkTimer = setTimeout(() => {
        shrinkTimer = null;
        const now = wanted();
        if (key(now) === key(c.rooms)) return;
        c.rooms = now;
        connect();
      }, CLOSE_GRACE_MS);
    }
    broadcastState();
  }

  function sweep() {
    for (const [tab, n] of needs) if (tab !== tabId) n.stale = true;
    publish({ t: "who" });
    setTimeout(() => {
      let changed = false;
      for (const [tab, n] of needs) {
        if (n.stale) {
          needs.delete(tab);
          changed = true;
        }
      }
      if (changed) sync();
    }, 5000);
  }
  setInterval(sweep, SWEEP_MS);

  function retryNow() {
    if (c.status !== "live") {
      c.failures = 0;
      connect();
    }
  }

  addEventListener("online", retryNow);
  // A dead network can leave a stream open but silent for minutes: say so now, and reconnect
  // when the browser reports the network back (or after a while, in case it never does).
  addEventListener("offline", () => {
    clearTimeout(c.timer);
    close(c.es);
    close(c.live);
    c.es = null;
    c.status = "reconnecting";
    c.retryAt = Date.now() + 5000;
    c.timer = setTimeout(connect, 5000);
    broadcastState();
  });

  // Nothing opens before the user's session is settled: the stream's cookie says who is online.
  Promise.resolve(ready).then(() => {
    started = true;
    c.rooms = wanted();
    connect();
  });

  return {
    need(tab, focus, rooms) {
      needs.set(tab, { focus, rooms: rooms || [], stale: false });
      sync();
    },
    bye(tab) {
      needs.delete(tab);
      sync();
    },
    retryNow,
    // Someone else now: the cookie changed, and so may the rooms we may read.
    reconnect() {
      denied.clear();
      c.failures = 0;
      c.rooms = wanted();
      if (started) connect();
    },
  };
}
