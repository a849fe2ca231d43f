// One room's confirmed messages, ordered by stream id, each kept once whatever the
// path it came by (history page, live event, catch-up, POST response).

function parseId(id) {
  const [ms, seq = "0"] = String(id).split("-");
  return [Number(ms), Number(seq)];
}

export function compareIds(a, b) {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  return am - bm || as - bs;
}

export class Timeline {
  constructor(room) {
    this.room = room;
    this.messages = [];
    this.ids = new Set();
    this.clientIds = new Set();
    this.loaded = false; // the latest page has been fetched at least once
    this.hasMore = true; // older messages exist on the server
  }

  get lastId() {
    return this.messages.length ? this.messages[this.messages.length - 1].id : null;
  }

  get firstId() {
    return this.messages.length ? this.messages[0].id : null;
  }

  hasClientId(clientId) {
    return Boolean(clientId) && this.clientIds.has(clientId);
  }

  // Returns the messages that were not known yet.
  add(messages) {
    const added = [];
    for (const m of messages) {
      if (!m || !m.id || this.ids.has(m.id) || m.room !== this.room) continue;
      this.ids.add(m.id);
      if (m.client_id) this.clientIds.add(m.client_id);
      const list = this.messages;
      if (!list.length || compareIds(m.id, list[list.length - 1].id) > 0) {
        list.push(m);
      } else {
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (compareIds(list[mid].id, m.id) < 0) lo = mid + 1;
          else hi = mid;
        }
        list.splice(lo, 0, m);
      }
      added.push(m);
    }
    return added;
  }

  // The message with this id, if loaded.
  find(id) {
    const list = this.messages;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(list[mid].id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] && list[lo].id === id ? list[lo] : null;
  }

  // The message as it now is (an edit's or a reaction's answer): replaces the loaded copy.
  update(message) {
    const old = message && this.find(message.id);
    if (!old) return false;
    this.messages[this.messages.indexOf(old)] = { ...message, client_id: old.client_id };
    return true;
  }

  // After a reset, or a gap too large to fill: start over from the latest page.
  replace(messages, hasMore) {
    this.messages = [];
    this.ids.clear();
    this.clientIds.clear();
    this.add(messages);
    this.hasMore = hasMore;
    this.loaded = true;
  }
}
