// The display name in the header: claimed when committed (Enter or leaving the field),
// refused names explained next to it, renames from other tabs followed.
import { changeName, getName, NAME_MAX, onNameChange } from "./identity.js";

export function createNameField({ form, input, error }, { onDone, onRenamed }) {
  input.maxLength = NAME_MAX;
  input.value = getName();

  function show(text) {
    error.textContent = text;
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  async function commit() {
    const wanted = input.value.trim();
    if (!wanted || wanted === getName()) {
      input.value = getName(); // a name is needed to send: keep the current one
      show("");
      return true;
    }
    const problem = await changeName(wanted);
    show(problem || "");
    return !problem;
  }

  input.addEventListener("change", () => commit());
  input.addEventListener("input", () => show(""));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await commit()) onDone();
    else input.focus();
  });
  onNameChange((name) => {
    if (document.activeElement !== input) input.value = name;
    onRenamed(name);
  });
}
