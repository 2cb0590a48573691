// cellfolio export: cells as images a person can look at (PNG per channel or
// multi-page float32 TIFF per cell) and one contact sheet of all of them.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { openDataset } from "@cellfolio/lazy";
import { choice, list, parse, required, str } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { encodePng, toUint8 } from "../images/png.js";
import { encodeTiffFloat32 } from "../images/tiff.js";

const usage = "cellfolio export FILE_OR_URL (--cell-id ID[,ID...] | --rows A:B) --out DIR [--channels a,b|0,1] [--format png|tiff]";

export const exportCommand: Command = {
  name: "export",
  summary: "write cells as PNG / TIFF images and a contact sheet",
  help: `${usage}

Writes, for each chosen cell, one 8-bit PNG per channel (values in [0, 1]
scaled to 0..255) or one multi-page float32 TIFF (one page per channel, the
stored values), and contact_sheet.png with one row per cell and one column
per channel.

  --cell-id IDS     cells by cellID (obs/scportrait_cell_id)
  --rows A:B        cells by row, A inclusive, B exclusive
  --channels LIST   channel names or indices (default: all, masks included)
  --format F        png (default) or tiff

example: cellfolio export out/sample.h5sc --rows 0:16 --out out/cells`,
  async run(argv) {
    const p = parse(argv, { "cell-id": { type: "string" }, rows: { type: "string" }, out: { type: "string" }, channels: { type: "string" }, format: { type: "string" } }, usage);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_URL\nusage: ${usage}`);
    const outDir = required(p, "out", usage);
    const format = choice(p, "format", ["png", "tiff"] as const) ?? "png";
    const idsText = list(p, "cell-id");
    const rowsText = str(p, "rows");
    if ((idsText === undefined) === (rowsText === undefined)) throw new UsageError(`give exactly one of --cell-id and --rows\nusage: ${usage}`);
    const source = p.positionals[0];
    const ds = await openDataset(source);
    try {
      const [n, , size] = ds.shape;
      let rows: number[];
      if (rowsText !== undefined) {
        const m = /^(\d*):(\d*)$/.exec(rowsText);
        if (!m) throw new UsageError(`--rows must be A:B, got "${rowsText}"`);
        const a = m[1] === "" ? 0 : Number(m[1]);
        const b = Math.min(n, m[2] === "" ? n : Number(m[2]));
        if (a >= b) throw new UsageError(`--rows ${rowsText} selects no cells (the dataset has ${n})`);
        rows = Array.from({ length: b - a }, (_, i) => a + i);
      } else {
        rows = idsText!.map((t) => {
          if (!/^\d+$/.test(t)) throw new UsageError(`--cell-id must be integers, got "${t}"`);
          return ds.rowOfCellId(Number(t));
        });
      }
      const names = ds.channelNames;
      const selectors = list(p, "channels")?.map((c) => (names.includes(c) || !/^\d+$/.test(c) ? c : Number(c)));
      const channels = ds.resolveChannels(selectors);
      await mkdir(outDir, { recursive: true });
      const gap = 2;
      const sheetW = channels.length * (size + gap) + gap;
      const sheetH = rows.length * (size + gap) + gap;
      const sheet = new Uint8Array(sheetW * sheetH).fill(64);
      const plane = size * size;
      // Cells in batches: each batch reads its chunks once, memory stays bounded.
      for (let b0 = 0; b0 < rows.length; b0 += 64) {
        const cells = await ds.getCells(rows.slice(b0, b0 + 64), { channels });
        const values = cells.data as Float32Array;
        for (let i = 0; i < cells.rows.length; i++) {
          const k = b0 + i;
          const id = cells.cellIds[i];
          const pages: Float32Array[] = [];
          for (let j = 0; j < channels.length; j++) {
            const page = values.subarray((i * channels.length + j) * plane, (i * channels.length + j + 1) * plane);
            pages.push(page);
            const bytes = toUint8(page);
            if (format === "png") await writeFile(path.join(outDir, `cell_${id}_${safe(names[channels[j]])}.png`), encodePng(bytes, size, size, 1));
            for (let y = 0; y < size; y++) sheet.set(bytes.subarray(y * size, (y + 1) * size), (gap + k * (size + gap) + y) * sheetW + gap + j * (size + gap));
          }
          if (format === "tiff") {
            const description = JSON.stringify({ cellID: id, channels: channels.map((c) => names[c]) });
            await writeFile(path.join(outDir, `cell_${id}.tif`), encodeTiffFloat32(pages, size, size, description));
          }
        }
      }
      await writeFile(path.join(outDir, "contact_sheet.png"), encodePng(sheet, sheetW, sheetH, 1));
      process.stdout.write(`exported ${rows.length} cells x ${channels.length} channels (${channels.map((c) => names[c]).join(", ")}) to ${outDir}\n`);
    } finally {
      await ds.close();
    }
    return 0;
  },
};

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

