// The message box: Enter sends, Shift+Enter breaks the line, the box grows with its text,
// and the text stays put unless the message was taken (sent or queued).
export function createComposer({ form, input, error, retry }, { onSubmit, onInput, hasFiles = () => false }) {
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
    // isComposing: Enter confirms an IME candidate, it doesn't send.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
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
