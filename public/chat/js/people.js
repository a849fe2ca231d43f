// Who is here: the online list of the viewed room (a snapshot from GET .../presence, then
// `presence` events), shown as a side panel on wide screens and a popover on narrow ones, with
// the count in the header; for a private room, its members and a form to add one.
import { hueOf, sentence } from "./format.js";

const WIDE = matchMedia("(min-width: 1100px)");
const PREF_KEY = "chat.people";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function person(name, { me, online }) {
  const li = el("li", `person${online ? " online" : ""}`);
  const avatar = el("span", "avatar small", [...name][0]?.toUpperCase() || "?");
  avatar.setAttribute("aria-hidden", "true");
  avatar.style.setProperty("--hue", hueOf(name));
  li.append(avatar, el("span", "person-name", name));
  if (me) li.append(el("span", "you", "(you)"));
  return li;
}

export function createPeople(els, { fetchOnline, fetchMembers, addMember, isMe }) {
  const { panel, toggle, count, close, onlineList, onlineCount, members, memberList, form, input, error } = els;
  let room = null;
  let online = new Map(); // key -> name
  let memberNames = null; // null: a public room
  let version = 0;
  let early = []; // presence events that arrived while the snapshot was on its way

  const key = (name) => String(name).toLowerCase();
  const popover = () => !WIDE.matches;

  function paint() {
    const names = [...online.values()].sort((a, b) => a.localeCompare(b));
    count.textContent = String(names.length);
    onlineCount.textContent = String(names.length);
    onlineList.replaceChildren(
      ...(names.length ? names.map((n) => person(n, { me: isMe(n), online: true })) : [el("li", "empty", "Nobody yet")]),
    );
    members.hidden = memberNames === null;
    if (memberNames) {
      // Members come as lower-case keys: show the online spelling where there is one.
      const shown = memberNames.map((n) => online.get(key(n)) || n);
      memberList.replaceChildren(...shown.map((n) => person(n, { me: isMe(n), online: online.has(key(n)) })));
    }
  }

  function setOpen(open, { save = true, focus = false } = {}) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("people-open", open);
    if (save && !popover()) {
      try {
        localStorage.setItem(PREF_KEY, open ? "open" : "closed");
      } catch {
        /* not remembered */
      }
    }
    if (open && focus) panel.focus();
  }

  function defaultOpen() {
    if (popover()) return false;
    try {
      return localStorage.getItem(PREF_KEY) !== "closed";
    } catch {
      return true;
    }
  }

  function apply(data) {
    if (!data || !data.user) return;
    if (data.action === "join") online.set(key(data.user), data.user);
    else if (data.action === "leave") online.delete(key(data.user));
    paint();
  }

  toggle.addEventListener("click", () => setOpen(panel.hidden, { focus: true }));
  close.addEventListener("click", () => {
    setOpen(false);
    toggle.focus();
  });
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && popover() && !panel.hidden && !document.querySelector("dialog[open]")) {
      setOpen(false, { save: false });
      toggle.focus();
    }
  });
  // A popover closes when the user goes elsewhere.
  document.addEventListener("pointerdown", (e) => {
    if (popover() && !panel.hidden && !panel.contains(e.target) && !toggle.contains(e.target)) {
      setOpen(false, { save: false });
    }
  });
  WIDE.addEventListener("change", () => setOpen(defaultOpen(), { save: false }));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    const r = room;
    try {
      const data = await addMember(r, name);
      if (r !== room) return;
      memberNames = data.members;
      input.value = "";
      error.textContent = "";
      paint();
    } catch (err) {
      error.textContent = sentence(err.message);
      input.focus();
    }
  });
  input.addEventListener("input", () => (error.textContent = ""));

  setOpen(defaultOpen(), { save: false });

  return {
    // The viewed room changed (or the stream came back): take a fresh snapshot.
    async show(r, { isPrivate = false } = {}) {
      if (r !== room) {
        room = r;
        online = new Map();
        memberNames = isPrivate ? [] : null;
        error.textContent = "";
        paint();
      }
      const v = ++version;
      early = [];
      try {
        const data = await fetchOnline(r);
        if (v !== version) return;
        online = new Map(data.online.map((n) => [key(n), n]));
        for (const ev of early) apply(ev);
        paint();
      } catch {
        /* no access or no server: the list stays as it is */
      } finally {
        if (v === version) early = null;
      }
      if (isPrivate && r === room) {
        fetchMembers(r).then(
          (data) => r === room && ((memberNames = data.members), paint()),
          () => {},
        );
      }
    },
    // A `presence` event for `r`.
    presence(r, data) {
      if (r !== room) return;
      if (early) early.push(data);
      apply(data);
    },
    // The user can't read this room: nobody to show.
    clear() {
      version += 1;
      online = new Map();
      memberNames = null;
      paint();
    },
  };
}
