// A small emoji picker for reactions: a popover of common emoji, no fetch. Arrow keys move
// between them, Escape or a click elsewhere closes it, and focus goes back where it was.
export const EMOJI = [
  ["👍", "thumbs up"],
  ["❤️", "heart"],
  ["😂", "laughing"],
  ["🎉", "party"],
  ["😮", "surprised"],
  ["😢", "sad"],
  ["🙏", "thank you"],
  ["👀", "eyes"],
  ["🔥", "fire"],
  ["✅", "done"],
  ["🚀", "rocket"],
  ["👎", "thumbs down"],
];
const COLUMNS = 6;

export function createPicker() {
  const panel = document.createElement("div");
  panel.className = "picker";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Choose a reaction");
  panel.hidden = true;
  const buttons = EMOJI.map(([emoji, name]) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "picker-emoji";
    b.textContent = emoji;
    b.title = name;
    b.setAttribute("aria-label", name);
    b.dataset.emoji = emoji;
    return b;
  });
  panel.append(...buttons);
  document.body.append(panel);
  let chosen = null;
  let anchor = null;

  function close({ refocus = true } = {}) {
    if (panel.hidden) return;
    panel.hidden = true;
    if (refocus && anchor && anchor.isConnected) anchor.focus();
    anchor = null;
    chosen = null;
  }

  panel.addEventListener("click", (e) => {
    const b = e.target.closest("[data-emoji]");
    if (!b || !chosen) return;
    const pick = chosen;
    close();
    pick(b.dataset.emoji);
  });
  panel.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (step && i >= 0) {
      e.preventDefault();
      buttons[(i + step + buttons.length) % buttons.length].focus();
    } else if (e.key === "Tab") {
      close({ refocus: false });
    }
  });
  document.addEventListener("pointerdown", (e) => {
    if (!panel.hidden && !panel.contains(e.target) && !(anchor && anchor.contains(e.target))) close({ refocus: false });
  });

  return {
    // Opens next to `from`; onPick(emoji) once one is chosen.
    open(from, onPick) {
      anchor = from;
      chosen = onPick;
      panel.hidden = false;
      const r = from.getBoundingClientRect();
      const width = panel.offsetWidth;
      const height = panel.offsetHeight;
      const left = Math.max(8, Math.min(r.right - width, innerWidth - width - 8));
      const top = r.top - height - 6 > 8 ? r.top - height - 6 : Math.min(r.bottom + 6, innerHeight - height - 8);
      panel.style.setProperty("left", `${left}px`);
      panel.style.setProperty("top", `${top}px`);
      buttons[0].focus();
    },
    close,
    isOpen: () => !panel.hidden,
  };
}
