// Changes to messages already shown (`edit`, `delete` and `reaction` events, live or in a
// catch-up page's "changes"), applied to a room's Timeline. Each can arrive twice (live and in a
// catch-up): applying one again changes nothing.

// The message `m` after `change`; null when it does not apply.
function changed(m, kind, c) {
  if (kind === "edit") {
    // A replayed edit older than the text shown (history gives messages as they now are).
    if (m.deleted || (m.edited_ts || 0) > (c.edited_ts || 0)) return null;
    const next = { ...m, text: c.text, edited_ts: c.edited_ts };
    if (c.mentions && c.mentions.length) next.mentions = c.mentions;
    else delete next.mentions;
    return next;
  }
  if (kind === "delete") return { id: m.id, n: m.n, room: m.room, deleted: true, client_id: m.client_id };
  if (kind === "reaction") {
    if (m.deleted) return null;
    const users = new Set((m.reactions && m.reactions[c.emoji]) || []);
    if (c.on) users.add(c.user_id);
    else users.delete(c.user_id);
    const reactions = { ...m.reactions, [c.emoji]: [...users] };
    if (!users.size) delete reactions[c.emoji];
    return { ...m, reactions };
  }
  return null;
}

// Applies one change ({type?, message, ...}) of kind `kind` to `timeline`; whether it changed.
export function applyChange(timeline, kind, change) {
  if (!change || typeof change.message !== "string") return false;
  const m = timeline.find(change.message);
  let touched = false;
  if (m) {
    const next = changed(m, kind, change);
    if (next && JSON.stringify(next) !== JSON.stringify(m)) {
      timeline.messages[timeline.messages.indexOf(m)] = next;
      touched = true;
    }
  }
  // A deleted message's quote in the replies to it goes too.
  if (kind === "delete") {
    for (let i = 0; i < timeline.messages.length; i++) {
      const r = timeline.messages[i];
      if (r.reply_to && r.reply_to.id === change.message && !r.reply_to.deleted) {
        timeline.messages[i] = { ...r, reply_to: { id: change.message, deleted: true } };
        touched = true;
      }
    }
  }
  return touched;
}
