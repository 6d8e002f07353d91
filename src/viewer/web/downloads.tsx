import { download } from "./api.js";

// The stem of every file the viewer saves lives with the other formatting (no DOM there).
export { baseName } from "./format.js";

/** Serialises an SVG element for download, standalone (all styling is in attributes). */
function svgText(el: SVGSVGElement | null): string {
  if (!el) return "";
  const copy = el.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

/** Saves a drawn SVG element as a standalone .svg file. */
export function downloadSvg(name: string, el: SVGSVGElement | null): void {
  download(name, svgText(el), "image/svg+xml");
}
