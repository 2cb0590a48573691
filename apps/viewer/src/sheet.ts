// The contact sheet: cells as a grid of tiles in one PNG, each tile labelled
// with its cellID (and a label or group where there is one), drawn as the
// page draws them (same channels, contrast and colours).
import { downloadBlob } from "./download.js";
import { type Display, drawCell } from "./render.js";

/** Tiles a line at most. */
export const SHEET_COLUMNS = 10;
export const SHEET_MARGIN = 8;
export const SHEET_GAP = 4;
/** Height of the title line above the tiles and of the caption under each tile. */
export const SHEET_TITLE = 20;
export const SHEET_CAPTION = 28;

/** Tile size: the cell at an integer zoom of about 96 px (nearest neighbour: each image pixel a block). */
export const sheetTile = (size: number) => size * Math.max(1, Math.round(96 / size));

export interface SheetCell {
  id: number;
  data: Float32Array;
  label?: string;
}

/** The sheet as a canvas: `title` on top, then the cells in order, a line of up to 10. */
export function contactSheet(cells: SheetCell[], size: number, d: Display, title: string): HTMLCanvasElement {
  const tile = sheetTile(size);
  const cols = Math.min(SHEET_COLUMNS, Math.max(1, cells.length));
  const lines = Math.ceil(cells.length / cols);
  const c = document.createElement("canvas");
  c.width = 2 * SHEET_MARGIN + cols * tile + (cols - 1) * SHEET_GAP;
  c.height = 2 * SHEET_MARGIN + SHEET_TITLE + lines * (tile + SHEET_CAPTION) + Math.max(0, lines - 1) * SHEET_GAP;
  const ctx = c.getContext("2d") as CanvasRenderingContext2D;
  ctx.fillStyle = "#111417";
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  ctx.textBaseline = "top";
  ctx.fillStyle = "#d6dde4";
  ctx.font = "12px sans-serif";
  ctx.fillText(title, SHEET_MARGIN, SHEET_MARGIN);
  const scratch = document.createElement("canvas");
  scratch.width = size;
  scratch.height = size;
  const sctx = scratch.getContext("2d") as CanvasRenderingContext2D;
  const img = new ImageData(size, size);
  ctx.font = "11px monospace";
  cells.forEach((cell, k) => {
    const x = SHEET_MARGIN + (k % cols) * (tile + SHEET_GAP);
    const y = SHEET_MARGIN + SHEET_TITLE + Math.floor(k / cols) * (tile + SHEET_CAPTION + SHEET_GAP);
    drawCell(cell.data, 0, size, d, img.data, size, 0, 0);
    sctx.putImageData(img, 0, 0);
    ctx.drawImage(scratch, x, y, tile, tile);
    ctx.fillStyle = "#d6dde4";
    ctx.fillText(String(cell.id), x + 1, y + tile + 2, tile - 2);
    if (cell.label) {
      ctx.fillStyle = "#ffcc33";
      ctx.fillText(cell.label, x + 1, y + tile + 15, tile - 2);
    }
  });
  c.dataset.cellIds = cells.map((x) => x.id).join(",");
  return c;
}

/** Saves a canvas as a PNG download. */
export async function downloadPng(c: HTMLCanvasElement, name: string): Promise<void> {
  const blob = await new Promise<Blob | null>((res) => c.toBlob(res, "image/png"));
  if (!blob) throw new Error("the browser could not encode the contact sheet as PNG");
  downloadBlob(blob, name);
}
