// Leaving a room (the header's button, then a confirmation): a private room through the server
// (a member has to add the user again to come back), a public one only from this browser's list
// (joining it again by its name brings it back). #general stays.
import { removeMember } from "./api.js";
import { sentence } from "./format.js";
import { authorized, getName } from "./identity.js";
import { DEFAULT_ROOM, forgetRoom } from "./rooms.js";

// current() -> the viewed room; directory: directory.js; go(room): opens another room.
export function createLeave(els, { current, directory, go }) {
  const isPrivate = (r) => directory.isPrivate(r);
  const leave = (r) => authorized((auth) => removeMember(r, getName(), auth));
  function onLeft(r) {
    forgetRoom(r);
    go(directory.followed().find((other) => other !== r) || DEFAULT_ROOM);
    directory.refresh({ force: true });
  }
  const { opener, label, dialog, form, title, intro, error, cancel } = els;
  let room = null;

  function paint() {
    const r = current();
    opener.hidden = !r || r === DEFAULT_ROOM;
    label.textContent = isPrivate(r) ? `Leave #${r}` : `Hide #${r}`;
    opener.title = label.textContent;
  }

  opener.addEventListener("click", () => {
    room = current();
    const priv = isPrivate(room);
    title.textContent = priv ? `Leave #${room}?` : `Hide #${room}?`;
    intro.textContent = priv
      ? "It is private: to come back, one of its members will have to add you again."
      : "It leaves your list of rooms. To come back, join it again by its name.";
    form.querySelector("button[type=submit]").textContent = priv ? "Leave" : "Hide";
    error.textContent = "";
    dialog.showModal();
    cancel.focus();
  });
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = room;
    form.setAttribute("aria-busy", "true");
    try {
      if (isPrivate(r)) await leave(r);
      dialog.close();
      onLeft(r);
    } catch (err) {
      error.textContent = sentence(err.message);
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  return { paint };
}
