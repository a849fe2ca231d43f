// The connection badge. A blip (a stream ended on purpose and resumed within a moment)
// is not worth alarming anyone: only states lasting over a second are shown.
const LABELS = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline" };
const SETTLE_MS = 1000;

// `text` is a live region: it changes with the state only. The countdown goes in `detail`.
export function createStatus({ root, text, detail, retry }, { onRetry }) {
  let shown = null;
  let wanted = null;
  let settle = null;
  let tick = null;

  function paint() {
    const { status, retryAt } = wanted;
    shown = status;
    root.dataset.state = status;
    const label = LABELS[status] || status;
    if (text.textContent !== label) text.textContent = label;
    const secs = status === "offline" && retryAt ? Math.ceil((retryAt - Date.now()) / 1000) : 0;
    detail.textContent = secs > 0 ? `retrying in ${secs}s` : "";
    root.title = status === "live" ? "Connected: new messages appear as they are sent" : label;
    retry.hidden = status !== "offline";
    clearInterval(tick);
    if (status === "offline" && retryAt > Date.now()) tick = setInterval(paint, 1000);
  }

  retry.addEventListener("click", onRetry);

  return {
    set(state) {
      wanted = state;
      clearTimeout(settle);
      if (shown === "live" && state.status !== "live") settle = setTimeout(paint, SETTLE_MS);
      else paint();
    },
    get status() {
      return shown;
    },
  };
}
