// Showing one message of the viewed room (a reply's quote, a search result): older pages are
// loaded until it is there, then it is scrolled to the middle, focused and briefly highlighted.
import { compareIds } from "./timeline.js";

const MAX_PAGES = 40;
const frame = () => new Promise(requestAnimationFrame);

// timeline() -> the viewed room's Timeline; loadOlder() -> a promise for one more older page.
export function createJump({ list }, { timeline, loadOlder }) {
  return async function jumpTo(id) {
    for (let i = 0; i < MAX_PAGES; i++) {
      const t = timeline();
      if (t.find(id) || !t.hasMore || !t.firstId || compareIds(id, t.firstId) > 0) break;
      await loadOlder();
      await frame();
    }
    await frame();
    const li = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (!li) return false;
    li.tabIndex = -1;
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
    li.classList.add("flash");
    setTimeout(() => li.classList.remove("flash"), 2000);
    return true;
  };
}
