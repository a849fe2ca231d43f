// Time, day and name formatting (message text: markup.js).

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
