// The "New room" dialog: a name, a topic, and whether it is private (with its first members).
import { sentence } from "./format.js";
import { isRoomName, normalizeRoom } from "./rooms.js";

export function createNewRoom(els, { create, onCreated }) {
  const { dialog, form, opener, name, topic, isPrivate, membersField, members, error, cancel } = els;

  function showError(text, field = null) {
    error.textContent = sentence(text);
    for (const input of [name, members]) {
      if (input === field) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    if (field) field.focus();
  }

  function syncMembers() {
    membersField.hidden = !isPrivate.checked;
    members.disabled = !isPrivate.checked;
  }

  opener.addEventListener("click", () => {
    form.reset();
    showError("");
    syncMembers();
    dialog.showModal();
    name.focus();
  });
  cancel.addEventListener("click", () => dialog.close());
  isPrivate.addEventListener("change", syncMembers);
  for (const input of [name, members]) input.addEventListener("input", () => showError(""));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const room = normalizeRoom(name.value);
    if (!isRoomName(room)) {
      showError("Room names are 1–64 characters: a–z, 0–9, - and _.", name);
      return;
    }
    const body = { name: room, topic: topic.value.trim(), private: isPrivate.checked };
    if (isPrivate.checked) {
      body.members = members.value.split(/[\s,]+/).filter(Boolean);
    }
    form.setAttribute("aria-busy", "true");
    try {
      const created = await create(body);
      dialog.close();
      onCreated(created);
    } catch (err) {
      const field = err.code === "room_exists" ? name : /name/.test(err.code) ? members : null;
      showError(err.message, field);
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}
