// What can be done to a sent message, for the whole list at once: its toolbar's buttons (react,
// reply, edit, delete), its reactions (a click adds or takes back the user's own), the quote of
// the message it answers (a click jumps there). Arrow keys move between messages from the list,
// which shows a message's toolbar when it has focus; a tap shows it on touch screens.
const TOUCH = matchMedia("(pointer: coarse)");

// message(id) -> the loaded message; picker: picker.js; react(id, emoji, on); reply(message);
// edit(message); remove(message); jumpTo(id).
export function createMessageActions({ scroller, list }, { message, picker, react, reply, edit, remove, jumpTo }) {
  list.addEventListener("click", (e) => {
    const b = e.target.closest("[data-action]");
    if (!b) {
      const li = e.target.closest("li.msg");
      if (TOUCH.matches && li && e.target.closest(".bubble") && !e.target.closest("a")) {
        for (const other of list.querySelectorAll(".show-actions")) if (other !== li) other.classList.remove("show-actions");
        li.classList.toggle("show-actions");
      }
      return;
    }
    const { action, id } = b.dataset;
    if (action === "jump") {
      jumpTo(id);
      return;
    }
    if (action === "toggle-reaction") {
      react(id, b.dataset.emoji, b.getAttribute("aria-pressed") !== "true");
      return;
    }
    if (action === "react") {
      picker.open(b, (emoji) => react(id, emoji, true));
      return;
    }
    const m = message(id);
    if (!m || m.deleted) return;
    if (action === "reply") reply(m);
    else if (action === "edit") edit(m);
    else if (action === "delete") remove(m);
  });

  scroller.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
    const here = e.target === scroller ? null : e.target.closest("li.msg");
    if (e.target !== scroller && e.target !== here) return; // a button's own keys
    const rows = [...list.querySelectorAll(":scope > li.msg:not(.deleted)")];
    if (!rows.length) return;
    let i = here ? rows.indexOf(here) : rows.length;
    i += e.key === "ArrowUp" ? -1 : 1;
    if (i < 0 || i >= rows.length) return;
    e.preventDefault();
    rows[i].tabIndex = -1;
    rows[i].focus();
  });
}
