// Message formatting, as chat apps write it: **bold**, *italics* (or _italics_), ~~struck~~,
// `inline code`, ``` code blocks ```, "> " quotes, links (bare, or [text](https://...)) and
// @mentions. Built as DOM nodes from the text: nothing the user wrote is ever parsed as HTML.

const FENCE = /```[^\n`]*\n?([\s\S]*?)```/g;
const TRAILING = /[.,;:!?'"*_~]$/;
// In the order they win when two start at the same place.
const INLINE = new RegExp(
  [
    /`(?<code>[^`\n]+)`/,
    /\[(?<label>[^\]\n]+)\]\((?<target>https?:\/\/[^\s()]+(?:\([^\s()]*\))?[^\s()]*)\)/,
    /(?<url>\bhttps?:\/\/[^\s<>"'`]+)/,
    /\*\*(?<bold>\S(?:[\s\S]*?\S)?)\*\*/,
    /(?<![\w*])\*(?<em>[^\s*](?:[^*\n]*?[^\s*])?)\*(?![\w*])/,
    /(?<![\w_])_(?<em2>[^\s_](?:[^_\n]*?[^\s_])?)_(?![\w_])/,
    /~~(?<strike>\S(?:[\s\S]*?\S)?)~~/,
    /(?<![\w@.])@(?<mention>[A-Za-z0-9_.-]*[A-Za-z0-9_-])/,
  ]
    .map((r) => r.source)
    .join("|"),
  "g",
);

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

export function safeHref(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function wrap(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

// `isMe(name)`: whether an @name is the reader (their mentions stand out more).
function inline(parent, text, isMe, depth = 0) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index < last) continue;
    const g = m.groups;
    let node = null;
    let end = m.index + m[0].length;
    if (g.code !== undefined) {
      node = wrap("code");
      node.textContent = g.code;
    } else if (g.label !== undefined) {
      const href = safeHref(g.target);
      if (href) {
        node = link(href, g.label);
        node.title = href; // where it really goes, whatever the text says
      }
    } else if (g.url !== undefined) {
      const url = trimUrl(g.url);
      const href = url.length > "https://".length ? safeHref(url) : null;
      if (href) {
        node = link(href, url);
        end = m.index + url.length;
      }
    } else if (g.mention !== undefined) {
      node = wrap("span", isMe(g.mention) ? "mention me" : "mention");
      node.textContent = `@${g.mention}`;
    } else if (depth < 4) {
      const [tag, inner] =
        g.bold !== undefined ? ["strong", g.bold] : g.strike !== undefined ? ["s", g.strike] : ["em", g.em ?? g.em2];
      node = wrap(tag);
      inline(node, inner, isMe, depth + 1);
    }
    if (!node) continue;
    parent.append(text.slice(last, m.index), node);
    last = end;
  }
  parent.append(text.slice(last));
}

// Lines starting with ">" make a quote; the rest is text with inline formatting.
function lines(parent, text, isMe) {
  const all = text.split("\n");
  let plain = [];
  const flush = () => {
    if (plain.length) inline(parent, plain.join("\n"), isMe);
    plain = [];
  };
  for (let i = 0; i < all.length; i++) {
    if (!/^>/.test(all[i])) {
      plain.push(all[i]);
      continue;
    }
    flush();
    const quote = wrap("blockquote");
    const quoted = [];
    while (i < all.length && /^>/.test(all[i])) quoted.push(all[i++].replace(/^> ?/, ""));
    i -= 1;
    inline(quote, quoted.join("\n"), isMe);
    parent.append(quote);
  }
  flush();
}

// Appends `text`, formatted, to `parent`.
export function appendFormatted(parent, text, { isMe = () => false } = {}) {
  let last = 0;
  for (const m of text.matchAll(FENCE)) {
    lines(parent, text.slice(last, m.index).replace(/\n$/, ""), isMe);
    const pre = wrap("pre");
    const code = wrap("code");
    code.textContent = m[1].replace(/\n$/, "");
    pre.append(code);
    parent.append(pre);
    last = m.index + m[0].length;
    if (text[last] === "\n") last += 1;
  }
  lines(parent, text.slice(last), isMe);
}

// The @names in a text (as typed), for telling whether it mentions someone.
export function mentionedNames(text) {
  return [...String(text).matchAll(/(?<![\w@.])@([A-Za-z0-9_.-]*[A-Za-z0-9_-])/g)].map((m) => m[1]);
}
