// On narrow screens the room list is a drawer: a toggle button, a scrim, Escape to close.
export function createDrawer({ toggle, scrim, focusOnOpen }) {
  const isOpen = () => document.body.classList.contains("drawer-open");

  function close() {
    if (!isOpen()) return;
    document.body.classList.remove("drawer-open");
    toggle.setAttribute("aria-expanded", "false");
  }

  toggle.addEventListener("click", () => {
    const open = document.body.classList.toggle("drawer-open");
    toggle.setAttribute("aria-expanded", String(open));
    if (open) focusOnOpen().focus();
  });
  scrim.addEventListener("click", close);
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && isOpen()) {
      close();
      toggle.focus();
    }
  });

  return { close };
}
