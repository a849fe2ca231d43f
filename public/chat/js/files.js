// Files in messages: pictures as previews sized before they load (no jump), opened full size in
// a viewer; anything else as a chip with its name, type and size that downloads it.

const PREVIEW_PX = 320;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

// "PDF", "PNG", "ZIP"...: what the server told from the bytes, for people.
export function kindOf(type) {
  const sub = String(type || "").split("/")[1] || "file";
  const names = { "octet-stream": "File", plain: "Text", "svg+xml": "SVG", "x-7z-compressed": "7Z" };
  return names[sub] || sub.toUpperCase();
}

// The preview's box: the picture scaled into PREVIEW_PX, never up.
export function previewSize(width, height) {
  const scale = Math.min(1, PREVIEW_PX / Math.max(width, height, 1));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

let viewer = null;

function openViewer(file) {
  if (!viewer) {
    viewer = el("dialog", "lightbox");
    viewer.setAttribute("aria-label", "Picture");
    const close = el("button", "lightbox-close icon-btn", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", () => viewer.close());
    viewer.addEventListener("click", (e) => {
      if (e.target === viewer) viewer.close(); // the backdrop
    });
    viewer.append(close, el("figure", "lightbox-figure"));
    document.body.append(viewer);
  }
  const figure = viewer.querySelector(".lightbox-figure");
  const img = el("img", "lightbox-img");
  img.alt = file.name;
  img.width = file.width;
  img.height = file.height;
  img.src = file.url;
  const caption = el("figcaption", "lightbox-caption");
  const link = el("a", "", `${file.name} · ${formatSize(file.size)}`);
  link.href = file.url;
  link.download = file.name;
  caption.append(link);
  figure.replaceChildren(img, caption);
  viewer.showModal();
}

function picture(file) {
  const button = el("button", "file-picture");
  button.type = "button";
  button.title = `${file.name}: open full size`;
  const img = el("img");
  img.alt = file.name;
  const [w, h] = previewSize(file.width, file.height);
  img.width = w;
  img.height = h;
  img.loading = "lazy";
  img.decoding = "async";
  img.src = file.thumbnail_url || file.url;
  button.append(img);
  button.addEventListener("click", () => openViewer(file));
  return button;
}

export function fileChip(file) {
  const chip = el("a", "file-chip");
  chip.href = file.url;
  chip.download = file.name;
  chip.title = `Download ${file.name}`;
  const icon = el("span", "file-icon", kindOf(file.type).slice(0, 4));
  icon.setAttribute("aria-hidden", "true");
  const about = el("span", "file-about");
  about.append(el("span", "file-name", file.name), el("span", "file-meta", `${kindOf(file.type)} · ${formatSize(file.size)}`));
  chip.append(icon, about);
  return chip;
}

// The files of a message, or null when it has none.
export function renderFiles(files) {
  if (!Array.isArray(files) || !files.length) return null;
  const box = el("div", "files");
  for (const file of files) {
    if (!file || typeof file.url !== "string" || !file.url.startsWith("/api/files/")) continue;
    box.append(file.width && file.height ? picture(file) : fileChip(file));
  }
  return box;
}
