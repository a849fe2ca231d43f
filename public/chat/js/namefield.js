// The display name in the header: a quick rename, made only when asked for (Enter); leaving the
// field or Escape puts the current name back. Refused names are explained next to it, renames
// from other tabs followed.
import { getName, NAME_MAX, nameProblem, onChange, switchTo } from "./identity.js";

export function createNameField({ form, input, error }, { onDone }) {
  input.maxLength = NAME_MAX;
  input.value = getName();
  let pending = null; // {name, result}: a commit in flight, shared by "change" and "submit"

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
    const local = nameProblem(wanted);
    if (local) {
      show(local);
      return false;
    }
    if (!pending || pending.name !== wanted) {
      const result = switchTo(wanted);
      pending = { name: wanted, result };
      result.finally(() => {
        if (pending && pending.result === result) pending = null;
      });
    }
    const problem = await pending.result;
    show(problem || "");
    return !problem;
  }

  function revert() {
    if (pending) return; // a rename is on its way: its answer decides
    input.value = getName();
    show("");
  }

  input.addEventListener("blur", revert);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && input.value !== getName()) {
      e.preventDefault();
      revert();
    }
  });
  input.addEventListener("input", () => show(""));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await commit()) onDone();
    else input.focus();
  });
  onChange(({ name }) => {
    if (document.activeElement !== input || !input.value.trim()) input.value = name;
  });
}
