// The message box: Enter sends, Shift+Enter breaks the line (on a touch screen, whose keyboard
// has no Shift+Enter, Enter breaks the line and the button sends), the box grows with its text,
// and the text stays put unless the message was taken (sent or queued).
const TOUCH = matchMedia("(pointer: coarse)");

// onKey(event, text) -> true when it handled a key (ArrowUp to edit, Escape to cancel).
export function createComposer({ form, input, error, retry }, { onSubmit, onInput, onKey = () => false, hasFiles = () => false }) {
  const keyHint = () => (input.enterKeyHint = TOUCH.matches ? "enter" : "send");
  keyHint();
  TOUCH.addEventListener("change", keyHint);

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, Math.round(innerHeight * 0.4))}px`;
  }

  function submit() {
    const text = input.value;
    if (!text.trim() && !hasFiles()) return;
    const problem = onSubmit(text);
    if (problem) {
      showError(problem);
      return;
    }
    input.value = "";
    clearError();
    autosize();
  }

  function showError(message, { canRetry = false } = {}) {
    error.querySelector(".composer-error-text").textContent = message;
    retry.hidden = !canRetry;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
  }

  function clearError() {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
  }

  input.addEventListener("keydown", (e) => {
    if (onKey(e, input.value)) {
      e.preventDefault();
      return;
    }
    // isComposing: Enter confirms an IME candidate, it doesn't send.
    const sends = TOUCH.matches ? e.ctrlKey || e.metaKey : !e.shiftKey;
    if (e.key === "Enter" && sends && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    onInput(input.value);
    if (!error.hidden) clearError(); // the text changed: the old complaint may no longer apply
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
    input.focus();
  });
  retry.addEventListener("click", () => {
    submit();
    input.focus();
  });
  addEventListener("resize", autosize);

  return {
    // A message came back refused: give its text back if the box is free.
    restore(text, reason) {
      if (input.value.trim()) return false;
      input.value = text;
      autosize();
      showError(`Not sent: ${reason}`, { canRetry: true });
      return true;
    },
    // Put text back for editing, after whatever is already there.
    insert(text) {
      input.value = input.value.trim() ? `${input.value.trimEnd()}\n${text}` : text;
      autosize();
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    },
    // Replace the text (a message to edit), caret at the end.
    replace(text) {
      input.value = text;
      autosize();
      input.focus();
      input.setSelectionRange(text.length, text.length);
    },
    isEmpty: () => !input.value.trim(),
    setPlaceholder(text) {
      input.placeholder = text;
    },
    // A room the user may not write in: nothing to type.
    setEnabled(enabled) {
      input.disabled = !enabled;
      form.querySelector("button[type=submit]").disabled = !enabled;
    },
    focus() {
      input.focus();
    },
    showError,
    clearError,
  };
}
