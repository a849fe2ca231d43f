// Messages written but not yet accepted by the server. Each is kept in localStorage
// under its own key (so tabs never overwrite each other's) and sent by the tab that
// wrote it, in order, with a client_id that makes every retry safe. A reload keeps
// the tab's identity (sessionStorage); entries whose tab is gone are adopted.

const PREFIX = "chat.outbox.";
const TAB_KEY = "chat.tab";
const MAX_DELAY = 10_000; // besides, the stream coming back live retries at once

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

function save(entry) {
  try {
    localStorage.setItem(PREFIX + entry.client_id, JSON.stringify(entry));
  } catch {
    /* storage full or disabled: the entry still lives in memory */
  }
}

function drop(clientId) {
  try {
    localStorage.removeItem(PREFIX + clientId);
  } catch {
    /* nothing to do */
  }
}

// A stable id for this tab, and a lock held while it lives so others can tell it is gone.
async function claimTabId() {
  let id = sessionStorage.getItem(TAB_KEY);
  if (!navigator.locks) return id || crypto.randomUUID();
  const hold = (name) =>
    new Promise((resolve) => {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 500);
      navigator.locks
        .request(name, { signal: ctl.signal }, () => {
          clearTimeout(timer);
          resolve(true);
          return new Promise(() => {});
        })
        .catch(() => resolve(false));
    });
  // A duplicated tab copies sessionStorage: if the id is held by a live tab, take a new one.
  if (!id || !(await hold(`chat-tab:${id}`))) {
    id = crypto.randomUUID();
    await hold(`chat-tab:${id}`);
  }
  sessionStorage.setItem(TAB_KEY, id);
  return id;
}

// A failure that is the server's doing (it answered 5xx, or not at all), not the message's nor
// the sender's (a refusal, a rate limit).
const serverFault = (err) => err.retryable && (err.status === 0 || err.status >= 500);

// onTrouble(failing): whether sends are failing on the server's side, told on each change.
export function createOutbox({ send, onChange, onSent, onFailed, onTrouble = () => {} }) {
  let tabId = null;
  let trouble = false;
  const memory = new Map(); // client_id -> entry, this tab's view of its own entries
  let pumping = false;
  let delay = 1000;
  let retryTimer = null;
  let seq = 0;

  function own() {
    return [...memory.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  }

  async function adopt() {
    if (!tabId) return;
    let alive = null;
    if (navigator.locks) {
      const { held = [] } = await navigator.locks.query();
      alive = new Set(held.map((l) => l.name));
    }
    let changed = false;
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key || !key.startsWith(PREFIX)) continue;
      const e = load(key);
      if (!e || !e.client_id || memory.has(e.client_id)) continue;
      const mine = e.owner === tabId;
      const orphan = !alive || !alive.has(`chat-tab:${e.owner}`);
      if (!mine && !orphan) continue;
      if (!mine) {
        e.owner = tabId;
        save(e);
      }
      if (e.status === "sending") e.status = "pending"; // interrupted by a reload
      changed = true;
      memory.set(e.client_id, e);
    }
    if (changed) onChange();
    pump();
  }

  function setTrouble(failing) {
    if (trouble === failing) return;
    trouble = failing;
    onTrouble(failing);
  }

  function schedule() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      pump();
    }, delay);
    delay = Math.min(MAX_DELAY, delay * 2);
  }

  async function pump() {
    if (pumping || !tabId) return;
    pumping = true;
    try {
      for (;;) {
        const entry = own().find((e) => e.status === "pending");
        if (!entry) {
          setTrouble(false); // nothing waits on the server any more
          break;
        }
        entry.status = "sending";
        onChange();
        let message;
        try {
          message = await send(entry);
        } catch (err) {
          if (!memory.has(entry.client_id)) continue; // discarded meanwhile
          entry.error = err.message || "Not sent";
          setTrouble(serverFault(err));
          if (err.retryable) {
            entry.status = "pending";
            save(entry);
            onChange();
            schedule();
            return;
          }
          entry.status = "failed";
          save(entry);
          onChange();
          onFailed(entry);
          continue;
        }
        delay = 1000;
        setTrouble(false);
        memory.delete(entry.client_id);
        drop(entry.client_id);
        onSent(entry, message);
        onChange();
      }
    } finally {
      pumping = false;
    }
  }

  claimTabId().then((id) => {
    tabId = id;
    for (const e of memory.values()) {
      if (!e.owner) {
        e.owner = id; // written before the id was known
        save(e);
      }
    }
    addEventListener("storage", (e) => {
      if (e.key && e.key.startsWith(PREFIX) && e.newValue === null && memory.delete(e.key.slice(PREFIX.length))) {
        onChange();
      }
    });
    setInterval(adopt, 15_000);
    return adopt();
  });

  return {
    add({ room, text, fields }) {
      const entry = {
        client_id: crypto.randomUUID(),
        room,
        text,
        fields, // { user } to show while pending; the server takes the author from the token
        ts: Date.now(),
        seq: seq++,
        owner: tabId,
        status: "pending",
        error: "",
      };
      memory.set(entry.client_id, entry);
      save(entry);
      onChange();
      if (!retryTimer) pump(); // in backoff, it waits its turn behind the older ones
      return entry;
    },
    entries(room) {
      return own().filter((e) => e.room === room);
    },
    // The server has it (seen on the live stream): stop retrying.
    confirm(clientId) {
      if (!clientId || !memory.has(clientId)) return;
      const e = memory.get(clientId);
      if (e.status === "sending") return; // pump() finishes it when the POST returns
      memory.delete(clientId);
      drop(clientId);
      onChange();
    },
    retry(clientId) {
      const e = memory.get(clientId);
      if (!e) return;
      e.status = "pending";
      e.error = "";
      save(e);
      onChange();
      kick();
    },
    discard(clientId) {
      memory.delete(clientId);
      drop(clientId);
      if (!own().some((e) => e.status === "pending")) setTrouble(false);
      onChange();
    },
    kick,
  };

  // Something suggests the server is back: retry now instead of waiting out the backoff.
  function kick() {
    clearTimeout(retryTimer);
    retryTimer = null;
    delay = 1000;
    adopt().catch(() => pump());
  }
}
