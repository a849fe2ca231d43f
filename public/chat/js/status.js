// The connection badge. A blip (a stream ended on purpose and resumed within a moment)
// is not worth alarming anyone: only states lasting over a second are shown.
//
// What it says comes from two sources: the live stream (live, connecting, reconnecting, or
// failing to connect: "trouble", or "offline" when the browser itself is offline) and the sends
// (a send the server failed, 5xx or no answer, is trouble too, even while the stream is open:
// a server whose store hangs keeps streams alive but stores nothing). "Offline" is said only when
// the browser knows it has no network: anything else is the server's trouble.
const LABELS = {
  live: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  trouble: "Server trouble",
  offline: "Offline",
};
const TITLES = {
  live: "Connected: new messages appear as they are sent",
  trouble: "The server is not answering as it should. What you write waits here and is sent once it recovers.",
  offline: "This device is offline. What you write waits here and is sent once it is back online.",
};
const SETTLE_MS = 1000;

// `text` is a live region: it changes with the state only. The countdown goes in `detail`.
export function createStatus({ root, text, detail, retry }, { onRetry }) {
  let shown = null;
  let wanted = null;
  let settle = null;
  let tick = null;
  let stream = { status: "connecting", retryAt: 0 };
  let sending = false; // the last send failed on the server's side

  function current() {
    if (stream.status === "offline" || stream.status === "trouble" || !sending) return stream;
    return { status: "trouble", retryAt: 0 };
  }

  function paint() {
    const { status, retryAt } = wanted;
    shown = status;
    root.dataset.state = status;
    const label = LABELS[status] || status;
    if (text.textContent !== label) text.textContent = label;
    const failing = status === "offline" || status === "trouble";
    const secs = failing && retryAt ? Math.ceil((retryAt - Date.now()) / 1000) : 0;
    detail.textContent = secs > 0 ? `retrying in ${secs}s` : "";
    root.title = TITLES[status] || label;
    retry.hidden = !failing;
    clearInterval(tick);
    if (failing && retryAt > Date.now()) tick = setInterval(paint, 1000);
  }

  function update() {
    wanted = current();
    clearTimeout(settle);
    if (shown === "live" && wanted.status !== "live") settle = setTimeout(paint, SETTLE_MS);
    else paint();
  }

  retry.addEventListener("click", onRetry);

  return {
    // The stream's state: {status, retryAt}.
    set(state) {
      stream = state;
      update();
    },
    // Whether sends are failing on the server's side.
    sends(failing) {
      if (sending === failing) return;
      sending = failing;
      update();
    },
    get status() {
      return shown;
    },
  };
}
