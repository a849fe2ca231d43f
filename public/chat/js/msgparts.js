// The parts of a sent message beyond its text: the quote of the message it answers, "edited",
// its reactions, and its actions (react, reply, edit, delete). Buttons carry data-action and
// data-id; msgactions.js handles their clicks for the whole list.
import { formatFull } from "./format.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, action, id, text, label) {
  const b = el("button", className, text);
  b.type = "button";
  b.dataset.action = action;
  b.dataset.id = id;
  if (label) b.setAttribute("aria-label", label);
  return b;
}

// Above the text of a reply: who said what, as a button that jumps to it.
export function replyQuote(replyTo) {
  if (replyTo.deleted || !replyTo.user) {
    const gone = el("span", "reply-quote gone", "Replying to a deleted message");
    return gone;
  }
  const quote = button("reply-quote", "jump", replyTo.id);
  const user = el("span", "reply-user", replyTo.user);
  user.append(el("span", "said-only", ":")); // "Reply to cleo: the question", not "cleo :"
  quote.append(el("span", "sr-only", "Reply to "), user, " ", el("span", "reply-text", replyTo.text));
  quote.title = "Show the message answered";
  return quote;
}

export function editedMark(editedTs) {
  const mark = el("span", "edited", "(edited)");
  mark.title = `Edited ${formatFull(editedTs)}`;
  return mark;
}

// reactions: [{emoji, count, mine}] -> buttons that add or take back the user's own.
export function reactionRow(id, reactions) {
  const row = el("div", "reactions");
  for (const r of reactions) {
    const people = r.count === 1 ? "1 person" : `${r.count} people`;
    const chip = button("reaction", "toggle-reaction", id, "", `${r.emoji} ${r.count}: ${people}${r.mine ? ", you too" : ""}`);
    chip.dataset.emoji = r.emoji;
    chip.setAttribute("aria-pressed", String(r.mine));
    const emoji = el("span", "", r.emoji);
    emoji.setAttribute("aria-hidden", "true");
    chip.append(emoji, el("span", "", ` ${r.count}`));
    row.append(chip);
  }
  return row;
}

function icon(d) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

const ICONS = {
  react: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18ZM8.5 14.5s1.2 1.5 3.5 1.5 3.5-1.5 3.5-1.5M9 9.5h.01M15 9.5h.01",
  reply: "M10 8 5 13l5 5M5 13h9a5 5 0 0 0 5-5V6",
  edit: "M4 20h4L19 9l-4-4L4 16v4ZM13.5 6.5l4 4",
  delete: "M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
};

// The toolbar shown on hover, on focus within the message, or on a tap (touch screens).
export function toolbar(item) {
  const bar = el("div", "msg-actions");
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", "Message actions");
  const add = (action, label) => {
    const b = button("msg-action", action, item.id, "", label);
    b.title = label;
    b.append(icon(ICONS[action]));
    bar.append(b);
  };
  add("react", "Add a reaction");
  add("reply", "Reply");
  if (item.canEdit) add("edit", "Edit");
  if (item.canDelete) add("delete", "Delete");
  return bar;
}

// A message not sent yet: "Sending…", "Waiting to send…", or why not, with what to do.
export function statusNote(item, actions) {
  if (item.status === "sending") return el("div", "note", item.error ? "Retrying…" : "Sending…");
  if (item.status === "pending") {
    return el("div", "note", item.error ? `Waiting to send: ${item.error}` : "Waiting to send…");
  }
  if (item.status !== "failed") return null;
  const note = el("div", "note error");
  note.append(el("span", "", `Not sent: ${item.error}`));
  for (const [label, action] of [
    ["Retry", actions.onRetry],
    ["Edit", actions.onEdit],
    ["Delete", actions.onDiscard],
  ]) {
    const b = el("button", "link-btn", label);
    b.type = "button";
    b.addEventListener("click", () => action(item.clientId));
    note.append(" ", b);
  }
  return note;
}
