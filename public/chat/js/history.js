// A room's messages from the server: its latest page the first time, what came after our last
// id later (catch-up), older pages on demand, and starting over after a reset.
import { fetchMessages } from "./api.js";
import { Timeline } from "./timeline.js";

const PAGE = 50;

// current() -> the viewed room; onPage(room, page): every page fetched (for its read positions);
// onCatchUp(room, messages, changes): news found by a catch-up (changes: typed edit/delete/reaction); onChange(room): repaint;
// onReset(room): the room's list was replaced; onDenied(room, err): private, not for us.
export function createHistory({ current, onPage, onCatchUp, onChange, onReset, onDenied }) {
  const timelines = new Map();
  const syncing = new Map(); // room -> { again } while a catch-up runs
  let loadError = "";
  let older = { busy: false, notBefore: 0 };

  function timelineFor(r) {
    if (!timelines.has(r)) timelines.set(r, new Timeline(r));
    return timelines.get(r);
  }

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
            onPage(r, page);
            t.add(page.messages);
            if (!t.loaded) t.hasMore = page.has_more;
            t.loaded = true;
          } else {
            const page = await fetchMessages(r, { after: t.lastId, limit: 200 });
            onPage(r, page);
            if (page.has_more || page.reset) {
              // Too far behind to fill in: start over from the latest page.
              const latest = await fetchMessages(r, { limit: PAGE });
              onPage(r, latest);
              t.replace(latest.messages, latest.has_more);
              onReset(r);
            } else {
              onCatchUp(r, page.messages, page.changes || []);
            }
          }
          if (r === current()) loadError = "";
        } catch (err) {
          if (err.status === 401 || err.status === 403) {
            onDenied(r, err);
            break;
          }
          if (r !== current()) break;
          loadError = err.message;
          setTimeout(() => r === current() && sync(r), 5000);
        }
      } while (state.again);
    } finally {
      syncing.delete(r);
      onChange(r);
    }
  }

  async function loadOlder() {
    const r = current();
    const t = timelineFor(r);
    if (older.busy || !t.loaded || !t.hasMore || !t.firstId || Date.now() < older.notBefore) return;
    older.busy = true;
    onChange(r);
    try {
      const page = await fetchMessages(r, { before: t.firstId, limit: PAGE });
      onPage(r, page);
      t.add(page.messages);
      t.hasMore = page.has_more;
    } catch {
      older.notBefore = Date.now() + 5000; // don't hammer a server that is down
    } finally {
      older.busy = false;
      onChange(r);
    }
  }

  return {
    timelineFor,
    get: (r) => timelines.get(r),
    sync,
    loadOlder,
    // The server no longer holds what followed our last id: reload instead of showing a gap.
    reset(r) {
      timelines.set(r, new Timeline(r));
      onReset(r);
      sync(r);
    },
    // Viewing another room: its own load state.
    enter() {
      loadError = "";
      older = { busy: false, notBefore: 0 };
    },
    // The line above the messages.
    note(r) {
      const t = timelineFor(r);
      if (!t.loaded) return loadError ? `Couldn't load messages: ${loadError}. Trying again…` : "Loading messages…";
      if (older.busy) return "Loading earlier messages…";
      if (!t.hasMore) return t.messages.length ? `This is the start of #${r}.` : `No messages in #${r} yet. Say hello!`;
      return "";
    },
  };
}
