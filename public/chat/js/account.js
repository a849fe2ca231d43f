// The name dialog: a guest name, or a name with a password (registered, usable on any device).
// Opens by itself when there is no name yet or the stored one can't be used; the header's
// account button opens it too. Everything shown comes from the server's answers as text.
import { hueOf, sentence } from "./format.js";
import { getKind, getName, NAME_MAX, onChange, signOut, switchTo } from "./identity.js";

const TITLES = {
  no_name: "Choose a name",
  session_ended: "Sign in again",
  name_registered: "Sign in",
};

export function createAccount(els, { onDone, onSignOut }) {
  const { dialog, form, title, intro, name, password, error, cancel, signout, button, avatar, status } = els;
  let required = false; // no usable name: the dialog can't be dismissed
  name.maxLength = NAME_MAX;

  function showError(text) {
    error.textContent = sentence(text);
    error.hidden = !text;
  }

  function describe() {
    const kind = getKind();
    if (kind === "user") return `Signed in as ${getName()}. Its password keeps the name yours.`;
    if (kind === "guest") return `You are ${getName()}, a guest. Add a password to keep this name.`;
    return "Pick a name to chat as a guest, or add a password to keep it for good.";
  }

  function paintButton() {
    const me = getName();
    avatar.textContent = [...me][0]?.toUpperCase() || "?";
    avatar.style.setProperty("--hue", hueOf(me || "?"));
    const kind = getKind();
    status.textContent = me ? `Account: ${me}${kind === "user" ? ", registered" : kind ? ", guest" : ""}` : "Choose a name";
    button.title = me ? `${me} (${kind === "user" ? "registered" : "guest"})` : "Choose a name";
    button.dataset.kind = kind;
  }

  function open(reason = null) {
    const code = reason ? reason.code : "";
    if (dialog.open) {
      // Asked again while the user is at it (a send waiting for a name): keep what they typed.
      if (reason && reason.message) showError(reason.message);
      return;
    }
    required = !getKind() || code === "no_name" || code === "session_ended";
    title.textContent = TITLES[code] || (getName() ? "Your name" : TITLES.no_name);
    intro.textContent = describe();
    name.value = code === "no_name" ? "" : getName();
    password.value = "";
    showError(reason && reason.message ? reason.message : "");
    cancel.hidden = required;
    signout.hidden = !getKind();
    dialog.showModal();
    const wantsPassword = code === "session_ended" || code === "name_registered";
    (wantsPassword && name.value ? password : name).focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const wanted = name.value.trim();
    if (!wanted) {
      showError("Enter a name.");
      name.focus();
      return;
    }
    form.setAttribute("aria-busy", "true");
    const problem = await switchTo(wanted, password.value);
    form.removeAttribute("aria-busy");
    if (problem) {
      showError(problem);
      (password.value && /password/i.test(problem) ? password : name).focus();
      return;
    }
    required = false;
    password.value = "";
    dialog.close();
    onDone();
  });
  for (const input of [name, password]) input.addEventListener("input", () => showError(""));
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("cancel", (e) => {
    if (required) e.preventDefault(); // Escape: only when there is a name to go back to
  });
  // Chromium lets a second Escape close it anyway: without a name, it comes back.
  dialog.addEventListener("close", () => {
    if (required && !dialog.open) dialog.showModal();
  });
  signout.addEventListener("click", async () => {
    await signOut();
    onSignOut();
    dialog.close();
    open({ code: "no_name", message: "" });
  });
  button.addEventListener("click", () => open());

  onChange(() => {
    paintButton();
    // Another tab chose a name: this one no longer needs to ask.
    if (dialog.open && required && getKind()) {
      required = false;
      dialog.close();
    }
  });
  paintButton();

  return { open, paint: paintButton };
}
