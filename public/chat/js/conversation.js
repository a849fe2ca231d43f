// The viewed room on screen: its confirmed messages (with "Seen by"), the user's pending ones
// after them, the line above them, news arriving, and marking what the user has seen as read.
import { postMessage } from "./api.js";
import { applyChange } from "./changes.js";
import { authorized, getKind, getName, isMe, mentionsMe, myUserId } from "./identity.js";
import { createOutbox } from "./outbox.js";

const MAX_CHARS = 4000;

// room() -> the viewed room; blocked() -> it is private and not ours; moderates(r) -> the user may
// delete others' messages in room r (its creator, an admin); onSent(): the user sent a
// message; onHiddenNews(n): messages from others arrived while the tab was hidden; onTrouble(failing):
// sends are failing (or no longer) on the server's side.
export function createConversation({
  view,
  newSince,
  loader,
  composer,
  attach,
  receipts,
  unread,
  room,
  blocked,
  moderates,
  onSent,
  onHiddenNews,
  onTrouble,
}) {
  let queued = false;
  let toBottom = false;
  const justWritten = new Set(); // client ids typed in this page, for giving text back on refusal

  const outbox = createOutbox({
    send(e) {
      const body = withFiles(e, { text: e.text, client_id: e.client_id });
      if (e.fields && e.fields.reply_to) body.reply_to = e.fields.reply_to.id;
      return authorized((auth) => postMessage(e.room, body, auth));
    },
    onChange: () => render(),
    onTrouble,
    onSent: (entry, message) => receive(entry.room, [message]),
    onFailed(entry) {
      const fresh = justWritten.has(entry.client_id) && Date.now() - entry.ts < 60_000;
      if (fresh && entry.room === room() && composer.restore(entry.text, entry.error)) outbox.discard(entry.client_id);
    },
  });

  // The composer's text (`replyTo`: the message it answers): queued for sending, or the reason
  // it can't be.
  function send(text, { replyTo = null } = {}) {
    const clean = text.trim();
    const length = [...clean].length;
    if (length > MAX_CHARS) return `Too long to send: ${length} characters, the limit is ${MAX_CHARS}.`;
    const taken = attach ? attach.take() : { files: [] };
    if (taken.problem) return taken.problem;
    if (!clean && !taken.files.length) return null;
    const fields = taken.files.length ? { user: getName(), files: taken.files } : { user: getName() };
    if (replyTo) fields.reply_to = { id: replyTo.id, user_id: replyTo.user_id, user: replyTo.user, text: replyTo.text };
    const entry = outbox.add({ room: room(), text: clean, fields });
    justWritten.add(entry.client_id);
    onSent();
    render({ toBottom: true });
    return null;
  }

  function withFiles(entry, body) {
    const files = (entry.fields && entry.fields.files) || [];
    return files.length ? { ...body, files: files.map((f) => f.id) } : body;
  }

  function paint(opts) {
    const r = room();
    if (!r) return;
    const t = loader.timelineFor(r);
    const seen = receipts.seen(r, t.messages, isMe);
    const watching = document.visibilityState === "visible" && view.atBottom();
    const firstNew = newSince.firstId(t.messages, t.hasMore, watching);
    const moderator = moderates(r);
    const keys = new Set();
    const items = [];
    for (const m of t.messages) {
      let key = m.client_id ? `c:${m.client_id}` : `i:${m.id}`;
      if (keys.has(key)) key = `i:${m.id}`;
      keys.add(key);
      const mine = isMe(m);
      const myId = myUserId();
      items.push({
        key,
        id: m.id,
        user: m.user || "",
        text: m.text || "",
        files: m.files,
        ts: m.ts ?? Number(String(m.id).split("-")[0]),
        deleted: Boolean(m.deleted),
        edited: m.edited_ts || 0,
        replyTo: m.reply_to || null,
        reactions: Object.entries(m.reactions || {}).map(([emoji, users]) => ({
          emoji,
          count: users.length,
          mine: users.includes(myId),
        })),
        canEdit: mine,
        canDelete: mine || moderator,
        mine,
        status: "sent",
        seen: seen.get(m.id) || null,
        mentionsMe: mentionsMe(m),
        firstNew: m.id === firstNew,
      });
    }
    // Pending ones follow the confirmed ones; once echoed, the confirmed copy takes their key.
    for (const e of outbox.entries(r)) {
      if (t.hasClientId(e.client_id)) continue;
      const user = (e.fields && e.fields.user) || getName();
      const { client_id: clientId, text, ts, status, error } = e;
      const replyTo = (e.fields && e.fields.reply_to) || null;
      items.push({ key: `c:${clientId}`, clientId, user, text, files: e.fields && e.fields.files, ts, mine: true, status, error, replyTo });
    }
    view.render(items, opts);
    newSince.update();
    view.setTopNote(blocked() ? `#${r} is a private room. Ask one of its members to add you.` : loader.note(r));
    markRead();
  }

  // The user sees the newest message (tab visible, scrolled to the bottom): it is read.
  function markRead() {
    const r = room();
    if (!r || blocked() || document.visibilityState !== "visible" || !getKind() || !view.atBottom()) return;
    const t = loader.get(r);
    if (!t || !t.loaded || !t.messages.length) return;
    receipts.mark(r, t.messages[t.messages.length - 1], unread.readOf(r));
  }

  function render({ toBottom: bottom = false } = {}) {
    toBottom ||= bottom;
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      const opts = { toBottom };
      toBottom = false;
      paint(opts);
    });
  }

  // Messages for room `r` from any path (stream, catch-up, POST answer); `live`: news to announce.
  function receive(r, messages, { live = false } = {}) {
    const t = loader.get(r);
    if (!t) return;
    const added = t.add(messages);
    for (const m of added) {
      if (m.client_id) outbox.confirm(m.client_id);
      unread.message(r, m.n, isMe(m));
    }
    if (!added.length || r !== room()) return;
    render();
    if (!live) return;
    const others = added.filter((m) => !isMe(m));
    if (others.length === 1) view.announce(`${others[0].user}: ${others[0].text}`);
    else if (others.length > 1) view.announce(`${others.length} new messages`);
    if (document.hidden && others.length) onHiddenNews(others.length);
  }

  // An `edit`, `delete` or `reaction` of a message in room `r` (live, or from a catch-up page).
  function change(r, kind, data) {
    const t = loader.get(r);
    if (t && applyChange(t, kind, data) && r === room()) render();
  }

  // A message as it now is (the answer to an edit or a reaction).
  function update(r, message) {
    const t = loader.get(r);
    if (t && t.update(message) && r === room()) render();
  }

  return { render, receive, change, update, markRead, send, outbox };
}
