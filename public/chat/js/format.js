// Text and time formatting. User text only ever becomes DOM text nodes.

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"*]$/;

function count(s, ch) {
  return s.split(ch).length - 1;
}

// Sentence punctuation after a URL is not part of it; a closing bracket is only when balanced.
function trimUrl(url) {
  for (;;) {
    if (TRAILING.test(url)) url = url.slice(0, -1);
    else if (url.endsWith(")") && count(url, ")") > count(url, "(")) url = url.slice(0, -1);
    else if (url.endsWith("]") && count(url, "]") > count(url, "[")) url = url.slice(0, -1);
    else return url;
  }
}

function safeHref(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

export function appendRichText(parent, text) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const url = trimUrl(m[0]);
    const href = url.length > "https://".length ? safeHref(url) : null;
    if (!href) continue;
    parent.append(text.slice(last, m.index));
    const a = document.createElement("a");
    a.href = href;
    a.textContent = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    parent.append(a);
    last = m.index + url.length;
  }
  parent.append(text.slice(last));
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

export const formatTime = (ts) => timeFmt.format(ts);
export const formatFull = (ts) => fullFmt.format(ts);

export function dayKey(ts) {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(ts) {
  const now = new Date();
  const key = dayKey(ts);
  if (key === dayKey(now)) return "Today";
  if (key === dayKey(now.getTime() - 86_400_000)) return "Yesterday";
  return new Date(ts).getFullYear() === now.getFullYear() ? dayFmt.format(ts) : dayYearFmt.format(ts);
}

// The server's messages start in lower case ("'x' is reserved; ..."): a sentence on the page.
export const sentence = (text) => String(text).charAt(0).toUpperCase() + String(text).slice(1);

// A colour per name. The string hash of names that differ in one letter differs by a little, so
// it is spread by the golden ratio (Fibonacci hashing): user1..user9 land far apart on the wheel.
export function hueOf(name) {
  let h = 0;
  for (const ch of String(name).toLowerCase()) h = (Math.imul(h, 31) + ch.codePointAt(0)) >>> 0;
  return Math.floor(((h * 0.6180339887498949) % 1) * 360);
}
