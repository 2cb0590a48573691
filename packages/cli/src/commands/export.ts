// cellfolio export: cells as images a person can look at (PNG per channel or
// multi-page float32 TIFF per cell) and one contact sheet of all of them,
// labelled with the cellIDs and the channel names.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { openDataset, type SingleCellImagesInfo } from "@cellfolio/lazy";
import { type CommandSpec, choice, flag, helpText, idList, list, parse, required, str, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { InputError, UsageError } from "../errors.js";
import { ADVANCE, drawText, GLYPH_HEIGHT, textWidth, wrapText } from "../images/font.js";
import { encodePng, toUint8 } from "../images/png.js";
import { encodeTiffFloat32 } from "../images/tiff.js";
import { checkOutputDir } from "../paths.js";

const spec: CommandSpec = {
  name: "export",
  positionals: "FILE_OR_URL",
  options: [
    { name: "cell-ids", value: "ID,ID,...", help: "cells by cellID (obs/scportrait_cell_id)", aliases: ["cell-id"], usage: "(--cell-ids ID,ID,... | --rows A:B)" },
    { name: "rows", value: "A:B", help: "cells by row, A inclusive, B exclusive (either may be left out)", usage: "" },
    { name: "out", value: "DIR", required: true, help: "folder to write into (created; must be new or empty unless --overwrite)" },
    { name: "channels", value: "a,b|0,1", help: "channel names or indices (default: all, masks included)" },
    { name: "format", value: "png|tiff", help: "png: 8-bit PNG per channel (default); tiff: one float32 multi-page TIFF per cell" },
    { name: "overwrite", help: "write into a folder that already holds files (same names are replaced)" },
  ],
  about: `Writes, for each chosen cell, one 8-bit PNG per channel (values in [0, 1]
scaled to 0..255; named cell_<cellID>_<channel>.png, with the channel's index
added where two names would give one file) or one multi-page float32 TIFF (one page per channel, the
stored values), and contact_sheet.png with one row per cell and one column
per channel, labelled with the cellIDs and the channel names. Every cellID
that cannot be exported is listed with the reason, and nothing is written.`,
  examples: ["cellfolio export out/sample.h5sc --rows 0:16 --out out/cells", "cellfolio export out/sample.h5sc --cell-ids 19,27,41,50 --channels DNA,PH3 --out out/cells"],
};

export const exportCommand: Command = {
  name: "export",
  summary: "write cells as PNG / TIFF images and a labelled contact sheet",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    const usage = usageLine(spec);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_URL, got ${p.positionals.length}\nusage: ${usage}`);
    const outDir = required(p, "out", spec);
    const format = choice(p, "format", ["png", "tiff"] as const) ?? "png";
    const ids = idList(p, "cell-ids");
    const rowsText = str(p, "rows");
    if ((ids === undefined) === (rowsText === undefined)) throw new UsageError(`give exactly one of --cell-ids and --rows\nusage: ${usage}`);
    let rowRange: [number | undefined, number | undefined] | undefined;
    if (rowsText !== undefined) {
      const m = /^(\d*):(\d*)$/.exec(rowsText);
      if (!m) throw new UsageError(`--rows ${rowsText}: expected A:B, rows A (inclusive) to B (exclusive), e.g. --rows 0:16`);
      rowRange = [m[1] === "" ? undefined : Number(m[1]), m[2] === "" ? undefined : Number(m[2])];
    }
    checkOutputDir(outDir, flag(p, "overwrite"));
    const source = p.positionals[0];
    const ds = await openDataset(source);
    try {
      const [n, , size] = ds.shape;
      let rows: number[];
      if (rowRange) {
        const a = rowRange[0] ?? 0;
        const b = Math.min(n, rowRange[1] ?? n);
        if (a >= b) throw new InputError(`--rows ${rowsText}: selects no cells; the dataset has rows 0:${n}`);
        rows = Array.from({ length: b - a }, (_, i) => a + i);
      } else {
        rows = rowsOfIds(ds.cellIds, ids as number[], ds.info, source);
      }
      const names = ds.channelNames;
      const selectors = list(p, "channels")?.map((c) => {
        if (names.includes(c)) return c;
        if (/^\d+$/.test(c) && Number(c) < names.length) return Number(c);
        throw new InputError(`--channels ${str(p, "channels")}: no channel "${c}"; expected names (${names.join(", ")}) or indices 0..${names.length - 1}`);
      });
      const channels = ds.resolveChannels(selectors);
      await mkdir(outDir, { recursive: true });
      const sheet = new ContactSheet(
        rows.length,
        channels.map((c) => names[c]),
        size,
        Math.max(...rows.map((r) => String(ds.cellIds[r]).length)),
      );
      const fileLabels = channelFileLabels(names, channels);
      const plane = size * size;
      // Cells in batches: each batch reads its chunks once, memory stays bounded.
      for (let b0 = 0; b0 < rows.length; b0 += 64) {
        const cells = await ds.getCells(rows.slice(b0, b0 + 64), { channels });
        const values = cells.data as Float32Array;
        for (let i = 0; i < cells.rows.length; i++) {
          const k = b0 + i;
          const id = cells.cellIds[i];
          sheet.label(k, String(id));
          const pages: Float32Array[] = [];
          for (let j = 0; j < channels.length; j++) {
            const page = values.subarray((i * channels.length + j) * plane, (i * channels.length + j + 1) * plane);
            pages.push(page);
            const bytes = toUint8(page);
            if (format === "png") await writeFile(path.join(outDir, `cell_${id}_${fileLabels[j]}.png`), encodePng(bytes, size, size, 1));
            sheet.put(k, j, bytes);
          }
          if (format === "tiff") {
            const description = JSON.stringify({ cellID: id, channels: channels.map((c) => names[c]) });
            await writeFile(path.join(outDir, `cell_${id}.tif`), encodeTiffFloat32(pages, size, size, description));
          }
        }
      }
      await writeFile(path.join(outDir, "contact_sheet.png"), sheet.png());
      process.stdout.write(`exported ${rows.length} cells x ${channels.length} channels (${channels.map((c) => names[c]).join(", ")}) to ${outDir}\n`);
    } finally {
      await ds.close();
    }
    return 0;
  },
};

/** The rows of `wanted` cellIDs; every id that is not there is named with the reason, and none is exported. */
function rowsOfIds(cellIds: number[], wanted: number[], info: SingleCellImagesInfo, source: string): number[] {
  const rowOf = new Map<number, number>();
  cellIds.forEach((id, r) => {
    rowOf.set(Number(id), r);
  });
  const dropped = info.droppedAtBorder ? new Set(info.droppedAtBorder) : null;
  const border = (info.extractionParams as { border?: string } | undefined)?.border;
  const missing = wanted.filter((id) => !rowOf.has(id));
  if (missing.length === 0) return wanted.map((id) => rowOf.get(id) as number);
  const reasons = missing.map((id) => {
    if (dropped?.has(id)) return `${id} (dropped at the border at extraction: its crop left the image; extract again with --border pad to keep it)`;
    return `${id} (not in the dataset)`;
  });
  let hint = "";
  if (!dropped && border !== "pad" && missing.length > 0) {
    hint = "; cells whose crop left the image are not extracted with --border drop (the default), and this dataset does not record which were dropped";
  }
  const shown = reasons.length > 50 ? [...reasons.slice(0, 50), `... ${reasons.length - 50} more`] : reasons;
  throw new InputError(
    `--cell-ids: ${missing.length} of ${wanted.length} cellIDs cannot be exported from ${source}: ${shown.join(", ")}${hint}; nothing was written (leave them out, or see cellfolio info ${source} for what it holds)`,
  );
}

/** One row per cell (its cellID on the left), one column per channel (its name on top), on a dark grey ground. */
class ContactSheet {
  private readonly gap = 2;
  private readonly labelW: number;
  private readonly headerH: number;
  private readonly width: number;
  private readonly height: number;
  private readonly pixels: Uint8Array;

  constructor(
    nRows: number,
    channelNames: string[],
    private readonly size: number,
    idDigits: number,
  ) {
    const g = this.gap;
    this.labelW = g + textWidth("0".repeat(Math.max(1, idDigits))) + g;
    const chars = Math.max(1, Math.floor((size + 1) / ADVANCE));
    const heads = channelNames.map((name) => wrapText(name, chars, 3));
    const lines = Math.max(1, ...heads.map((h) => h.length));
    this.headerH = g + lines * (GLYPH_HEIGHT + 2);
    this.width = this.labelW + channelNames.length * (size + g);
    this.height = this.headerH + nRows * (size + g);
    this.pixels = new Uint8Array(this.width * this.height).fill(64);
    heads.forEach((h, j) => {
      h.forEach((line, l) => {
        drawText(this.pixels, this.width, this.height, this.cellX(j) + Math.max(0, Math.floor((size - textWidth(line)) / 2)), g + l * (GLYPH_HEIGHT + 2), line);
      });
    });
  }

  private cellX(j: number): number {
    return this.labelW + j * (this.size + this.gap);
  }

  private cellY(k: number): number {
    return this.headerH + k * (this.size + this.gap);
  }

  label(k: number, text: string): void {
    const y = this.cellY(k) + Math.floor((this.size - GLYPH_HEIGHT) / 2);
    drawText(this.pixels, this.width, this.height, this.labelW - this.gap - textWidth(text), y, text);
  }

  put(k: number, j: number, bytes: Uint8Array): void {
    const s = this.size;
    const x = this.cellX(j);
    const y0 = this.cellY(k);
    for (let y = 0; y < s; y++) this.pixels.set(bytes.subarray(y * s, (y + 1) * s), (y0 + y) * this.width + x);
  }

  png(): Buffer {
    return encodePng(this.pixels, this.width, this.height, 1);
  }
}

/**
 * The channels' parts of the PNG file names: letters (any script), digits and
 * ._- kept, other runs "_"; where two channels come out the same, ignoring
 * case (one file on macOS and Windows), each gets its channel index too
 * ("PDGFRα" and "PDGFRβ" stay apart; "DNA" and "dna", channels 1 and 2, become "DNA_1" and "dna_2").
 */
function channelFileLabels(names: string[], channels: number[]): string[] {
  const label = channels.map((c) => names[c].replace(/[^\p{L}\p{N}._-]+/gu, "_"));
  const clashes = (ls: string[]) => {
    const count = new Map<string, number>();
    for (const l of ls) count.set(l.toLowerCase(), (count.get(l.toLowerCase()) ?? 0) + 1);
    return (l: string) => (count.get(l.toLowerCase()) ?? 0) > 1;
  };
  const clash = clashes(label);
  const labelled = label.map((l, j) => (clash(l) ? `${l}_${channels[j]}` : l));
  // a suffixed label equal to another channel's name: the index first, unique as the indices are
  const still = clashes(labelled);
  return labelled.some(still) ? label.map((l, j) => `${channels[j]}_${l}`) : labelled;
}
