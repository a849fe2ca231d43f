// Live events for every tab of this browser over as few connections as possible.
// Browsers allow six HTTP/1.1 connections per host, so one tab (the holder of a Web
// Lock) opens the EventSources, one per room any tab views, and relays what arrives
// over a BroadcastChannel. When it closes, the lock passes to another tab, which
// resumes each room from the last event id the tabs report.
import { eventsUrl } from "./api.js";
import { compareIds } from "./timeline.js";

const CHANNEL = "chat-stream-v1";
const LOCK = "chat-stream-leader-v1";
const CLOSE_GRACE_MS = 10_000; // keep an unneeded room open a while: tabs reload, users switch back
const SWEEP_MS = 30_000; // how often the leader checks which tabs are still there
const OFFLINE_AFTER = 3; // failed attempts in a row before calling it offline

// Quick at first (most outages are a deploy or a blip), then every few seconds: one
// small request per browser, not per tab, so patience costs the server little.
function backoff(failures) {
  const base = Math.min(5000, 250 * 2 ** failures);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function olderId(a, b) {
  // null means "no position known" and loses to any id.
  if (!a) return b;
  if (!b) return a;
  return compareIds(a, b) <= 0 ? a : b;
}

// The leader's side: connections and the set of rooms the tabs need.
function createLeader(tabId, publish) {
  const needs = new Map(); // tab id -> { room, lastId, stale }
  const conns = new Map(); // room -> connection

  function stateOf(c) {
    let status = c.status;
    if (status !== "live" && (!navigator.onLine || c.failures >= OFFLINE_AFTER)) status = "offline";
    return { status, session: c.session, retryAt: c.retryAt };
  }

  function broadcastState() {
    const rooms = {};
    for (const [room, c] of conns) rooms[room] = stateOf(c);
    publish({ t: "state", leader: tabId, rooms });
  }

  function connect(c) {
    clearTimeout(c.timer);
    c.timer = null;
    if (c.es) c.es.close();
    const es = new EventSource(eventsUrl(c.room, c.lastId));
    c.es = es;
    es.onopen = () => {
      c.openedAt = Date.now();
      c.failures = 0;
      c.status = "live";
      c.session += 1;
      c.retryAt = 0;
      broadcastState();
    };
    es.addEventListener("message", (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (e.lastEventId) c.lastId = e.lastEventId;
      publish({ t: "event", room: c.room, kind: "message", id: e.lastEventId, data });
    });
    // `ready` (a fresh start) and `reset` (our id was trimmed away) carry the id to resume from.
    es.addEventListener("ready", (e) => {
      if (e.lastEventId) c.lastId = e.lastEventId;
    });
    es.addEventListener("reset", (e) => {
      if (e.lastEventId) c.lastId = e.lastEventId;
      let data = {};
      try {
        data = JSON.parse(e.data);
      } catch {
        /* the reset itself is what matters */
      }
      publish({ t: "event", room: c.room, kind: "reset", data });
    });
    // EventSource would reconnect by itself, but with the URL's stale last_event_id;
    // reconnecting by hand keeps the resume point and the backoff ours.
    es.onerror = () => {
      es.close();
      if (c.es !== es) return;
      c.es = null;
      const wasLive = c.status === "live";
      c.status = "reconnecting";
      // A stream the server ended is resumed at once, unless streams keep ending straight away.
      const quick = Date.now() - c.openedAt < 1000;
      const delay = wasLive ? (quick ? 1000 : 100) : backoff(c.failures);
      if (!wasLive) c.failures += 1;
      c.retryAt = Date.now() + delay;
      c.timer = setTimeout(() => connect(c), delay);
      broadcastState();
    };
  }

  function sync() {
    const wanted = new Map();
    for (const n of needs.values()) {
      if (!n.room) continue;
      wanted.set(n.room, wanted.has(n.room) ? olderId(wanted.get(n.room), n.lastId) : n.lastId);
    }
    for (const [room, lastId] of wanted) {
      const c = conns.get(room);
      if (c) {
        clearTimeout(c.closeTimer);
        c.closeTimer = null;
        continue;
      }
      const conn = { room, lastId, status: "connecting", failures: 0, session: 0, retryAt: 0, openedAt: 0 };
      conns.set(room, conn);
      connect(conn);
    }
    for (const [room, c] of conns) {
      if (wanted.has(room) || c.closeTimer) continue;
      c.closeTimer = setTimeout(() => {
        clearTimeout(c.timer);
        if (c.es) c.es.close();
        conns.delete(room);
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

  addEventListener("online", () => retryNow());
  // A dead network can leave a stream open but silent for minutes: say so now, and reconnect
  // when the browser reports the network back (or after a while, in case it never does).
  addEventListener("offline", () => {
    for (const c of conns.values()) {
      clearTimeout(c.timer);
      if (c.es) c.es.close();
      c.es = null;
      c.status = "reconnecting";
      c.retryAt = Date.now() + 5000;
      c.timer = setTimeout(() => connect(c), 5000);
    }
    broadcastState();
  });

  function retryNow() {
    for (const c of conns.values()) {
      if (c.status !== "live") {
        c.failures = 0;
        connect(c);
      }
    }
  }

  return {
    need(tab, room, lastId) {
      needs.set(tab, { room, lastId, stale: false });
      sync();
    },
    bye(tab) {
      needs.delete(tab);
      sync();
    },
    retryNow,
  };
}

// onEvent({room, kind, id, data}), onState({status, retryAt}), onLive(room): the
// stream (re)started for the room, so the caller should fetch anything it may lack.
export function createStream({ onEvent, onState, onLive, lastIdFor }) {
  const tabId = crypto.randomUUID();
  const shared = typeof BroadcastChannel === "function" && navigator.locks;
  const channel = shared ? new BroadcastChannel(CHANNEL) : null;
  let leader = null;
  let room = null;
  let roomStates = {};
  let leaderId = null;
  let shown = "";
  const seenSessions = new Map(); // room -> "leader/session" last reported live

  function deliver(m) {
    if (m.t === "event") onEvent({ room: m.room, kind: m.kind, id: m.id, data: m.data });
    else if (m.t === "state") applyState(m);
  }

  function publish(m) {
    if (channel) channel.postMessage(m);
    deliver(m);
  }

  function announce() {
    if (!room) return;
    const lastId = lastIdFor(room) || null;
    if (leader) leader.need(tabId, room, lastId);
    else if (channel) channel.postMessage({ t: "need", tab: tabId, room, lastId });
  }

  function applyState(m) {
    leaderId = m.leader;
    roomStates = m.rooms || {};
    report();
  }

  function report() {
    const s = (room && roomStates[room]) || { status: "connecting", session: 0, retryAt: 0 };
    const key = `${s.status}|${s.retryAt}`;
    if (key !== shown) {
      shown = key;
      onState({ status: s.status, retryAt: s.retryAt });
    }
    if (s.status === "live") {
      const session = `${leaderId}/${s.session}`;
      if (seenSessions.get(room) !== session) {
        seenSessions.set(room, session);
        onLive(room);
      }
    }
  }

  if (channel) {
    channel.onmessage = ({ data: m }) => {
      if (!m || typeof m !== "object") return;
      switch (m.t) {
        case "event":
        case "state":
          if (!leader) deliver(m);
          break;
        case "leader":
          // A new leader opens new connections: forget the old one's state until it reports.
          leaderId = m.tab;
          roomStates = {};
          report();
          announce();
          break;
        case "who":
          announce();
          break;
        case "need":
          if (leader) leader.need(m.tab, m.room, m.lastId);
          break;
        case "bye":
          if (leader) leader.bye(m.tab);
          break;
        case "retry":
          if (leader) leader.retryNow();
          break;
      }
    };
    navigator.locks.request(LOCK, () => {
      leader = createLeader(tabId, publish);
      leaderId = tabId;
      channel.postMessage({ t: "leader", tab: tabId });
      announce();
      return new Promise(() => {}); // held until this page goes away
    });
    addEventListener("pagehide", () => channel.postMessage({ t: "bye", tab: tabId }));
    addEventListener("pageshow", (e) => {
      if (e.persisted) announce();
    });
  } else {
    // No BroadcastChannel or Web Locks (old browser, insecure origin): every tab for itself.
    leader = createLeader(tabId, publish);
  }

  return {
    // Follow `name` (this tab views one room at a time).
    watch(name) {
      room = name;
      report();
      announce();
    },
    retryNow() {
      if (leader) leader.retryNow();
      else if (channel) channel.postMessage({ t: "retry" });
    },
  };
}
