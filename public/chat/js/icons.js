// A room's mark: "#" for a public room, a lock for a private one (the sidebar and the header).
export function roomIcon(isPrivate) {
  if (!isPrivate) {
    const hash = document.createElement("span");
    hash.className = "hash";
    hash.textContent = "#";
    hash.setAttribute("aria-hidden", "true");
    return hash;
  }
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("lock");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
