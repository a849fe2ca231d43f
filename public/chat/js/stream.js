// Live events for every tab of this browser over one connection. Browsers allow six HTTP/1.1
// connections per host, so one tab (the holder of a Web Lock) opens a single stream for all the
// rooms the tabs follow (leader.js) and relays what arrives over a BroadcastChannel. When it
// closes, the lock passes to another tab, which resumes every room from the last ids relayed.
import { createLeader } from "./leader.js";

const CHANNEL = "chat-stream-v2";
const LOCK = "chat-stream-leader-v2";

// onEvent({room, kind, id, data}); onState({status, retryAt}) for the room this tab views;
// onLive(): the stream (re)started, so the caller should fetch anything it may lack;
// onDenied(rooms): the server refused these rooms (private). `ready` settles before opening.
export function createStream({ onEvent, onState, onLive, onDenied, ready }) {
  const tabId = crypto.randomUUID();
  const shared = typeof BroadcastChannel === "function" && navigator.locks;
  const channel = shared ? new BroadcastChannel(CHANNEL) : null;
  const positions = new Map(); // room -> last stream id seen, for resuming after a handover
  let leader = null;
  let focus = null;
  let rooms = [];
  let state = { leader: null, status: "connecting", session: 0, retryAt: 0, rooms: [] };
  let shown = "";
  let lastLive = "";

  function deliver(m) {
    if (m.t === "event") {
      if (m.id) positions.set(m.room, m.id);
      onEvent({ room: m.room, kind: m.kind, id: m.id, data: m.data });
    } else if (m.t === "state") {
      state = m;
      report();
    } else if (m.t === "denied") {
      onDenied(m.rooms || []);
    }
  }

  function publish(m) {
    if (channel) channel.postMessage(m);
    deliver(m);
  }

  function announce() {
    if (leader) leader.need(tabId, focus, rooms);
    else if (channel) channel.postMessage({ t: "need", tab: tabId, focus, rooms });
  }

  function report() {
    // The viewed room counts as live only once the stream follows it.
    const following = !focus || (state.rooms || []).includes(focus);
    const status = following || state.status !== "live" ? state.status : "connecting";
    const retryAt = state.retryAt;
    const key = `${status}|${retryAt}`;
    if (key !== shown) {
      shown = key;
      onState({ status, retryAt });
    }
    const live = `${state.leader}/${state.session}`;
    if (state.status === "live" && following && live !== lastLive) {
      lastLive = live;
      onLive();
    }
  }

  if (channel) {
    channel.onmessage = ({ data: m }) => {
      if (!m || typeof m !== "object") return;
      switch (m.t) {
        case "event":
        case "state":
        case "denied":
          if (!leader) deliver(m);
          break;
        case "leader":
          // A new leader opens a new connection: forget the old one's state until it reports.
          state = { leader: m.tab, status: "connecting", session: 0, retryAt: 0, rooms: [] };
          report();
          announce();
          break;
        case "who":
          announce();
          break;
        case "need":
          if (leader) leader.need(m.tab, m.focus, m.rooms);
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
      leader = createLeader(tabId, { publish, positions, ready });
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
    leader = createLeader(tabId, { publish, positions, ready });
  }

  return {
    // Follow `followed` rooms; this tab views `viewed` (null: none it may read).
    watch(viewed, followed) {
      focus = viewed;
      rooms = followed;
      report();
      announce();
    },
    retryNow() {
      if (leader) leader.retryNow();
      else if (channel) channel.postMessage({ t: "retry" });
    },
    // The user is someone else now: the stream must carry the new cookie. Every tab hears of
    // the change (storage events), so only the leader acts on it.
    reconnect() {
      if (leader) leader.reconnect();
    },
  };
}
