// Attaching files to the next message: a real file input behind the paperclip, dropping files
// on the conversation, pasting a picture into the box. Each file uploads at once, with its
// progress; a failed one says why and can be tried again. Files over the app's limit go
// straight to the S3 store when the server offers it (a signed form), the same to the user.
import { ApiError } from "./api.js";
import { fileChip, formatSize } from "./files.js";
import { authorized } from "./identity.js";

const roomPath = (room) => `/api/rooms/${encodeURIComponent(room)}`;
let limits = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getLimits() {
  if (!limits) {
    const res = await fetch("/api/files", { headers: { Accept: "application/json" } });
    limits = res.ok ? await res.json() : { max_bytes: 4 * 1048576, direct_max_bytes: null, max_files: 10 };
  }
  return limits;
}

// POST with upload progress (fetch has none); the answer's JSON, or an ApiError.
function post(url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError("Can't reach the server", { retryable: true }));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        /* not JSON: a proxy's page, or the store's XML */
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const err = data && data.error;
      const message = (err && err.message) || (xhr.status === 413 ? "The file is too large" : `Upload failed (${xhr.status})`);
      reject(new ApiError(message, { status: xhr.status, code: (err && err.code) || `http_${xhr.status}` }));
    };
    xhr.send(body);
  });
}

async function jsonPost(url, body, auth) {
  return post(url, body === undefined ? null : JSON.stringify(body), { ...auth, "Content-Type": "application/json" }, () => {});
}

async function upload(room, file, onProgress) {
  const { max_bytes: max, direct_max_bytes: direct } = await getLimits();
  if (file.size > max && !(direct && file.size <= direct)) {
    throw new ApiError(`${file.name} is ${formatSize(file.size)}; the limit is ${formatSize(direct || max)}`, { status: 413 });
  }
  if (file.size <= max) {
    return authorized((auth) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return post(`${roomPath(room)}/files`, form, { ...auth, Accept: "application/json" }, onProgress);
    });
  }
  const started = await authorized((auth) => jsonPost(`${roomPath(room)}/uploads`, { name: file.name, size: file.size }, auth));
  const form = new FormData();
  for (const [name, value] of Object.entries(started.fields)) form.append(name, value);
  form.append("file", file, file.name);
  await post(started.url, form, {}, onProgress);
  return authorized((auth) => jsonPost(`${roomPath(room)}/uploads/${encodeURIComponent(started.id)}/complete`, undefined, auth));
}

// form: the composer; textarea: its box; dropZone: where files may be dropped; room(): the room
// uploads go to; onChange(): the attachments changed (the composer may now send, or not).
export function createAttach({ form, textarea, dropZone }, { room, onChange = () => {} }) {
  let items = [];
  let seq = 0;

  const input = el("input", "attach-input");
  input.type = "file";
  input.multiple = true;
  input.id = "attach-input";
  const button = el("label", "attach-btn icon-btn");
  button.htmlFor = input.id;
  button.title = "Attach files";
  const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "20");
  icon.setAttribute("height", "20");
  icon.setAttribute("aria-hidden", "true");
  const clip = document.createElementNS("http://www.w3.org/2000/svg", "path");
  clip.setAttribute("d", "M21 11.5 12.5 20a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6L15 7");
  clip.setAttribute("fill", "none");
  clip.setAttribute("stroke", "currentColor");
  clip.setAttribute("stroke-width", "2");
  clip.setAttribute("stroke-linecap", "round");
  icon.append(clip);
  button.append(icon, el("span", "sr-only", "Attach files"));
  const row = form.querySelector(".composer-row");
  row.prepend(input, button);
  const tray = el("ul", "attach-tray");
  tray.setAttribute("aria-label", "Attachments");
  tray.hidden = true;
  row.before(tray);

  function current() {
    return items.filter((item) => item.room === room());
  }

  function render() {
    const shown = current();
    tray.hidden = !shown.length;
    tray.replaceChildren(...shown.map(itemNode));
    onChange();
  }

  function itemNode(item) {
    const li = el("li", `attach-item ${item.status}`);
    if (item.preview) {
      const img = el("img", "attach-preview");
      img.alt = "";
      img.src = item.preview;
      li.append(img);
    } else {
      li.append(fileChip({ name: item.file.name, type: item.file.type, size: item.file.size, url: "#" }));
      li.querySelector("a").removeAttribute("href");
    }
    const about = el("div", "attach-about");
    about.append(el("span", "attach-name", item.file.name));
    if (item.status === "uploading") {
      const bar = el("progress", "attach-progress");
      bar.max = 1;
      bar.value = item.progress;
      item.bar = bar;
      bar.setAttribute("aria-label", `Uploading ${item.file.name}`);
      about.append(bar);
    } else if (item.status === "failed") {
      const why = el("span", "attach-error", item.error);
      why.setAttribute("role", "alert");
      about.append(why);
      if (item.retryable) {
        const retry = el("button", "link-btn attach-retry", "Retry");
        retry.type = "button";
        retry.addEventListener("click", () => start(item));
        about.append(retry);
      }
    } else {
      about.append(el("span", "attach-ready", formatSize(item.file.size)));
    }
    const remove = el("button", "icon-btn small attach-remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${item.file.name}`);
    remove.addEventListener("click", () => discard(item));
    li.append(about, remove);
    return li;
  }

  async function start(item) {
    item.status = "uploading";
    item.progress = 0;
    render();
    try {
      item.result = await upload(item.room, item.file, (p) => {
        item.progress = p;
        if (item.bar) item.bar.value = p;
      });
      item.status = "done";
    } catch (err) {
      item.status = "failed";
      item.error = err.message || "Upload failed";
      item.retryable = err.status !== 413 && err.status !== 422;
    }
    if (items.includes(item)) render();
  }

  function discard(item) {
    items = items.filter((i) => i !== item);
    if (item.preview) URL.revokeObjectURL(item.preview);
    render();
    textarea.focus();
  }

  async function add(files) {
    const { max_files: most } = await getLimits();
    for (const file of files) {
      const r = room();
      if (!r) return;
      const item = { id: ++seq, room: r, file, status: "uploading", progress: 0, error: "", retryable: true };
      if (/^image\/(jpeg|png|gif|webp)$/.test(file.type)) item.preview = URL.createObjectURL(file);
      if (current().length >= most) {
        item.status = "failed";
        item.error = `At most ${most} files per message`;
        item.retryable = false;
        items.push(item);
        continue;
      }
      items.push(item);
      start(item);
    }
    render();
  }

  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";
  });
  textarea.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
    if (!files.length) return;
    e.preventDefault();
    add(files.map((f, i) => (f.name && f.name !== "image.png" ? f : new File([f], `pasted-${Date.now()}-${i}.png`, { type: f.type }))));
  });
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  dropZone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dropZone.classList.add("dropping");
  });
  dropZone.addEventListener("dragleave", (e) => {
    if (!dropZone.contains(e.relatedTarget)) dropZone.classList.remove("dropping");
  });
  dropZone.addEventListener("drop", (e) => {
    dropZone.classList.remove("dropping");
    if (!hasFiles(e)) return;
    e.preventDefault();
    add([...e.dataTransfer.files]);
  });
  addEventListener("hashchange", render);

  return {
    // Files ready to go with the message being sent, or the reason it can't go yet.
    take() {
      const shown = current();
      if (shown.some((i) => i.status === "uploading")) return { problem: "Wait for the uploads to finish." };
      if (shown.some((i) => i.status === "failed")) return { problem: "Retry or remove the upload that failed." };
      items = items.filter((i) => !shown.includes(i));
      for (const i of shown) if (i.preview) URL.revokeObjectURL(i.preview);
      render();
      return { files: shown.map((i) => i.result) };
    },
    count() {
      return current().length;
    },
    add,
  };
}
