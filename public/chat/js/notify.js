// Desktop notifications of mentions (the Notification API): off until the user turns them on
// with the bell (the browser asks for permission then, on that click), and only shown while
// the tab is hidden: a visible tab shows the mention itself.
const PREF_KEY = "chat.notify";

function stored() {
  try {
    return localStorage.getItem(PREF_KEY) === "on";
  } catch {
    return false;
  }
}

function store(on) {
  try {
    localStorage.setItem(PREF_KEY, on ? "on" : "off");
  } catch {
    /* for this page only */
  }
}

// button: the bell (aria-pressed); onOpen(room): a notification was clicked.
export function createNotifier({ button, label }, { onOpen }) {
  const supported = typeof Notification === "function";
  let on = supported && stored() && Notification.permission === "granted";

  function paint() {
    button.hidden = !supported;
    button.setAttribute("aria-pressed", String(on));
    const blocked = supported && Notification.permission === "denied";
    label.textContent = "Notify me of mentions";
    button.title = blocked
      ? "Notifications are blocked in this browser's settings for this site"
      : on
        ? "Desktop notifications of mentions are on"
        : "Desktop notifications of mentions are off";
  }

  button.addEventListener("click", async () => {
    if (on) {
      on = false;
    } else {
      const permission =
        Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
      on = permission === "granted";
    }
    store(on);
    paint();
  });
  paint();

  return {
    // A message mentioning the user arrived in `room`.
    mention(room, message) {
      if (!on || Notification.permission !== "granted" || document.visibilityState !== "hidden") return;
      const body = message.text.length > 200 ? `${message.text.slice(0, 200)}…` : message.text;
      const note = new Notification(`${message.user} mentioned you in #${room}`, {
        body,
        tag: message.id, // every tab hears of it: one notification
        icon: "icon.svg",
      });
      note.addEventListener("click", () => {
        focus();
        onOpen(room);
        note.close();
      });
    },
  };
}
