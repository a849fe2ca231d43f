// A yes-or-no question in a modal dialog (window.confirm can't be styled nor kept accessible).
export function createConfirm({ dialog, form, title, text, yes, cancel, error }) {
  let action = null;

  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    form.setAttribute("aria-busy", "true");
    try {
      await action();
      dialog.close();
    } catch (err) {
      error.textContent = err.message;
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  // Asks; `run` (async) happens on yes, and its failure is shown in the dialog.
  return function ask({ heading, body, confirm }, run) {
    title.textContent = heading;
    text.textContent = body;
    yes.textContent = confirm;
    error.textContent = "";
    action = run;
    dialog.showModal();
    cancel.focus();
  };
}
