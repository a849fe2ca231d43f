// Wiring: who the user is, rooms, history, the live stream, the outbox and the views.
import { createAccount } from "./account.js";
import { createAttach } from "./attach.js";
import {
  addMember,
  createRoom,
  fetchMembers,
  fetchMessages,
  fetchPresence,
  postRead,
  postTyping,
} from "./api.js";
import { createComposer } from "./composer.js";
import { createConversation } from "./conversation.js";
import { createDirectory } from "./directory.js";
import { createDispatch } from "./dispatch.js";
import { els } from "./dom.js";
import { createDrawer } from "./drawer.js";
import { createHistory } from "./history.js";
import { authorized, getKind, isMe, onChange, onTrouble, start } from "./identity.js";
import { createLeave } from "./leave.js";
import { createMessageFeatures } from "./msgwiring.js";
import { createNameField } from "./namefield.js";
import { createNewRoom } from "./newroom.js";
import { createNewSince } from "./newsince.js";
import { createNotifier } from "./notify.js";
import { createPeople } from "./people.js";
import { createReceipts } from "./receipts.js";
import { createJoinForm, DEFAULT_ROOM, forgetRoom, knownPrivate, lastRoom, markPrivate, rememberRoom, roomFromHash } from "./rooms.js";
import { createSearch } from "./search.js";
import { createSidebar } from "./sidebar.js";
import { createStatus } from "./status.js";
import { createStream } from "./stream.js";
import { createTyping } from "./typing.js";
import { createUnread } from "./unread.js";
import { createView } from "./view.js";

let room = null;
let blocked = false; // the viewed room is private and not ours
let unreadWhileHidden = 0;

// ---- who the user is

const account = createAccount(els.account, {
  onDone: () => composer.focus(),
  // A shared computer: the next person should not find the names of someone's private rooms.
  onSignOut: () => knownPrivate().forEach((r) => (forgetRoom(r), markPrivate(r, false))),
});
onTrouble((reason) => account.open(reason));
const ready = start().then((problem) => problem && account.open(problem));
createNameField(els.nameField, { onDone: () => composer.focus() });

// ---- views

const view = createView(els.view, {
  onRetry: (id) => conversation.outbox.retry(id),
  onDiscard: (id) => {
    conversation.outbox.discard(id);
    composer.focus();
  },
  onEdit: (id) => {
    const entry = conversation.outbox.entries(room).find((e) => e.client_id === id);
    if (!entry) return;
    conversation.outbox.discard(id);
    composer.insert(entry.text);
  },
  onNearTop: () => loader.loadOlder(),
  onAtBottom: () => conversation.markRead(),
  isMe,
});

const newSince = createNewSince(els.newSince, {
  isMe,
  loadOlder: () => loader.loadOlder(),
  timeline: () => loader.timelineFor(room),
});

const status = createStatus(els.status, {
  onRetry: () => {
    stream.retryNow();
    conversation.outbox.kick();
  },
});

const attach = createAttach(
  { form: els.composer.form, textarea: els.composer.input, dropZone: els.composer.form.closest("main") },
  { room: () => (blocked ? null : room) },
);

const composer = createComposer(els.composer, {
  onSubmit: (text) => features.submit(text),
  onKey: (e, text) => features.key(e, text),
  hasFiles: () => attach.count() > 0,
  onInput: (text) => getKind() && !blocked && typing.input(room, text),
});

const typing = createTyping(els.typing, { isMe, send: (r) => authorized((auth) => postTyping(r, auth)) });

const people = createPeople(els.people, {
  fetchOnline: fetchPresence,
  fetchMembers,
  addMember: (r, name) => authorized((auth) => addMember(r, name, auth)),
  isMe,
});

const receipts = createReceipts({
  post: (r, id) => authorized((auth) => postRead(r, id, auth)),
  onChange: (r, pos) => unread.read(r, pos.n),
});

// ---- rooms: the list, unread counts, new rooms

const unread = createUnread(() => sidebar.queue());
const directory = createDirectory({
  unread,
  onChange() {
    sidebar.queue({ followed: true });
    leave.paint();
    conversation.render(); // who may delete others' messages may have changed
  },
});
const sidebar = createSidebar(els.sidebar, { directory, unread, current: () => room, onFollowed: () => watch() });

createJoinForm(els.join, { onJoin: (r) => go(r) });
const leave = createLeave(els.leave, { current: () => room, directory, go });
createNewRoom(els.newRoom, {
  create: (body) => authorized((auth) => createRoom(body, auth)),
  onCreated(created) {
    directory.add(created);
    rememberRoom(created.name);
    go(created.name);
  },
});

// ---- messages

const loader = createHistory({
  current: () => room,
  onPage(r, page) {
    newSince.page(r, page.reads);
    if (receipts.update(r, page.reads) && r === room) conversation.render();
    const last = page.messages[page.messages.length - 1];
    if (last) unread.message(r, last.n, false);
  },
  onCatchUp(r, messages, changes) {
    conversation.receive(r, messages, { live: true });
    for (const c of changes) conversation.change(r, c.type, c);
  },
  onChange: (r) => r === room && conversation.render(),
  onReset(r) {
    if (r !== room) return;
    view.reset();
    conversation.render({ toBottom: true });
  },
  onDenied(r) {
    directory.deny(r);
    if (r !== room) return;
    blocked = true;
    composer.setEnabled(false);
    composer.setPlaceholder(`You can't write in #${r}`);
    people.clear();
    conversation.render();
  },
});

const conversation = createConversation({
  view,
  newSince,
  loader,
  composer,
  attach,
  receipts,
  unread,
  room: () => room,
  blocked: () => blocked,
  moderates: (r) => directory.moderates(r),
  onSent: () => typing.sent(),
  onHiddenNews(n) {
    unreadWhileHidden += n;
    updateTitle();
  },
  onTrouble: (failing) => status.sends(failing),
});

const features = createMessageFeatures(els, { room: () => room, loader, composer, conversation });
const search = createSearch(els.search, { room: () => room, fetchPage: fetchMessages, jumpTo: features.jumpTo });

const notifier = createNotifier(els.notify, { onOpen: (r) => go(r) });

// ---- the live stream

const stream = createStream({
  onEvent: createDispatch({
    current: () => room,
    directory,
    unread,
    notifier,
    typing,
    people,
    receipts,
    loader,
    conversation,
  }),
  onState: (state) => status.set(state),
  onLive() {
    if (!blocked) {
      loader.sync(room);
      people.show(room, { isPrivate: directory.isPrivate(room) });
    }
    // Rooms not in view start at the stream's start: their counts from before come from the list.
    directory.refresh({ force: true });
    conversation.outbox.kick();
  },
  onDenied: (rooms) => rooms.forEach((r) => r !== room && directory.deny(r)),
  ready,
});

function watch() {
  stream.watch(blocked ? null : room, directory.followed());
}

// ---- the viewed room

function updateTitle() {
  const count = unreadWhileHidden ? `(${unreadWhileHidden}) ` : "";
  document.title = `${count}#${room} · Chat`;
}

function open(r, { again = false } = {}) {
  if (r === room && !again) return;
  room = r;
  blocked = false;
  loader.enter();
  newSince.enter(r, unread.readOf(r));
  rememberRoom(r);
  els.roomName.textContent = r;
  els.view.scroller.setAttribute("aria-label", `Messages in #${r}`);
  composer.setEnabled(true);
  composer.setPlaceholder(`Message #${r}`);
  composer.clearError();
  features.leaveRoom();
  search.leaveRoom();
  updateTitle();
  view.reset();
  typing.show(r);
  conversation.render({ toBottom: true });
  sidebar.queue({ followed: true });
  leave.paint();
  loader.sync(r);
  people.show(r, { isPrivate: directory.isPrivate(r) });
}

// After choosing a room, the user is headed for its conversation, not back to the list: the
// message box (a touch screen's keyboard would pop up: its title instead).
function focusRoom() {
  if (!blocked && !matchMedia("(pointer: coarse)").matches) composer.focus();
  else els.roomTitle.focus({ preventScroll: true });
}

// Switch now (what is typed next belongs to `r`), and put it in the URL.
function go(r) {
  drawer.close();
  open(r);
  focusRoom();
  if (roomFromHash() !== r) location.hash = r;
}

addEventListener("hashchange", () => {
  const r = roomFromHash();
  const fromList = els.sidebarNav.contains(document.activeElement);
  if (r) open(r);
  else history.replaceState(null, "", `#${room}`);
  drawer.close();
  if (fromList) focusRoom();
});

// Someone else now (here or in another tab): new cookie, other rooms, other read positions.
onChange(() => {
  stream.reconnect();
  unread.clear();
  directory.reset();
  if (blocked) open(room, { again: true });
  else conversation.render();
});

const drawer = createDrawer({
  ...els.drawer,
  focusOnOpen: () => els.sidebar.list.querySelector("[aria-current]") || els.join.input,
});

// The skip link must not put "#composer-input" in the URL: that is where the room goes.
document.querySelector(".skip-link").addEventListener("click", (e) => {
  e.preventDefault();
  composer.focus();
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  if (unreadWhileHidden) {
    unreadWhileHidden = 0;
    updateTitle();
  }
  conversation.markRead();
});
addEventListener("focus", () => conversation.markRead());

open(roomFromHash() || lastRoom() || DEFAULT_ROOM);
if (!roomFromHash()) history.replaceState(null, "", `#${room}`);
// The list's private rooms and unread counts are the user's: ask once the session is settled.
ready.then(() => directory.refresh({ force: true }));
