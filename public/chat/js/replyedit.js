// What the message box is for besides a new message: a reply (to the message quoted above the
// box) or an edit of one of the user's messages. Shown as a line above the box with a way out.
export function createReplyEdit({ bar, text, cancel }, { onCancel }) {
  let state = null; // { kind: "reply" | "edit", message }

  function show() {
    bar.hidden = !state;
    if (!state) return;
    const { kind, message } = state;
    const snippet = message.text.length > 80 ? `${message.text.slice(0, 80)}…` : message.text;
    text.replaceChildren();
    const what = document.createElement("strong");
    what.textContent = kind === "edit" ? "Editing your message" : `Replying to ${message.user}`;
    text.append(what, `: ${snippet}`);
    cancel.setAttribute("aria-label", kind === "edit" ? "Cancel the edit" : "Cancel the reply");
  }

  cancel.addEventListener("click", () => {
    const was = state;
    state = null;
    show();
    onCancel(was);
  });

  return {
    reply(message) {
      state = { kind: "reply", message };
      show();
    },
    edit(message) {
      state = { kind: "edit", message };
      show();
    },
    clear() {
      state = null;
      show();
    },
    get: () => state,
  };
}
