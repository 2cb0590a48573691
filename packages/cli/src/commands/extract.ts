// cellfolio extract: a slide image + segmentation masks -> a single-cell image dataset.
import { availableParallelism } from "node:os";
import { extract, finalizeParts, parsePart } from "@cellfolio/extract";
import { choice, int, list, num, parse, required, str } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { ensureParentDir } from "../paths.js";
import { createProgress } from "../progress.js";
import { parseCompression } from "./compression.js";

const usage =
  "cellfolio extract --image IMG --nucleus MASK [--cytosol MASK] --out OUT.h5sc|OUT.zarr [--size 128] [--preset classic|scportrait] [--nuclear-channel 0] [--channel-names a,b,c] [--match auto|overlap|ids] [--binary-masks label|refuse] [--labels cells.csv] [--border drop|pad] [--cell-ids 1,2,...] [--threads N] [--zarr-format 2|3] [--compression C] [--overwrite] [--part I/N]\n       cellfolio extract --finalize OUT.zarr";

export const extractCommand: Command = {
  name: "extract",
  summary: "extract one masked, normalised image stack per cell into .h5sc or .zarr",
  help: `${usage}

For every cell of the nucleus mask: its masks and every channel of IMG,
cropped SIZE x SIZE around the cell's centroid, masked with the expanded and
blurred cell mask and normalised to [0, 1], stored as float16 in
obsm/single_cell_images with the cellID (obs/scportrait_cell_id) and the
centroid (obs/centroid_y, obs/centroid_x). The output opens in anndata and
scPortrait as it is.

  --image IMG            TIFF / OME-TIFF (C pages or samples) or Zarr (C, H, W)
  --nucleus MASK         nucleus label mask (integer TIFF or Zarr; 0 = background)
  --cytosol MASK         cytosol label mask (optional): the same ids as the nuclei, or
                         an independent segmentation, matched by overlap (--match)
  --out OUT              .h5sc / .h5ad (HDF5) or .zarr (Zarr v3, sharded)
  --size S               crop size, even (default 128)
  --preset P             classic (default) or scportrait
  --sigma X              blur sigma (default 5 for classic)
  --dilation R           disk radius of the cytosol expansion (default 6)
  --nuclear-channel I    index of the nuclear channel (default 0)
  --channel-names a,b,c  names of the image channels (default: the OME-TIFF / OME-Zarr
                         channel names, else channel_0, channel_1, ...); each different,
                         none named nucleus_mask or cytosol_mask
  --match M              how cytosol labels pair with nuclei: overlap (each nucleus to the
                         cytosol covering --match-threshold of it, as scPortrait's mask
                         matching; unmatched nuclei are not written), ids (the same id in
                         both masks) or auto (default: ids if they agree for 90% of the
                         nuclei, else overlap)
  --match-threshold X    overlap: share of a nucleus its cytosol must cover, 0.5-1 (default 0.95)
  --binary-masks B       a mask of one value over separate regions (0/255): label (default)
                         its connected components (8-connected, as skimage.measure.label),
                         or refuse it
  --labels CSV           per-cell labels: a cellID column, then any columns
  --border drop|pad      cells too close to the edge: drop (default) or zero-pad
  --cell-ids 1,2,...     only these cells
  --threads N            worker threads (default: all cores)
  --zarr-format 2|3      Zarr version for .zarr output (default 3)
  --compression C        gzip[:level], lzf, zstd[:level], blosc, none
  --overwrite            replace OUT if it exists
  --shard-rows R         Zarr v3: cells per shard file (default: about 32 MiB of stacks)
  --part I/N             cluster part I of N (0-based; e.g. a Slurm array task): writes
                         only this part's shards of OUT.zarr and a part record; every
                         part must get the same inputs and options
  --finalize OUT.zarr    once all N parts are complete: obs, var, uns and the metadata;
                         names the missing or incomplete parts otherwise (exit 1).
                         Until then OUT.zarr is not a dataset. HDF5 from parts:
                         cellfolio convert OUT.zarr OUT.h5sc afterwards
  --quiet                no progress

example: cellfolio extract --image test-data/sample/image.tif --nucleus test-data/sample/nucleus.tif \\
           --cytosol test-data/sample/cytosol.tif --labels test-data/sample/labels.csv --size 48 --out out/sample.h5sc`,
  async run(argv) {
    const p = parse(
      argv,
      {
        image: { type: "string" },
        nucleus: { type: "string" },
        cytosol: { type: "string" },
        out: { type: "string" },
        size: { type: "string" },
        preset: { type: "string" },
        sigma: { type: "string" },
        dilation: { type: "string" },
        "nuclear-channel": { type: "string" },
        "channel-names": { type: "string" },
        match: { type: "string" },
        "match-threshold": { type: "string" },
        "binary-masks": { type: "string" },
        labels: { type: "string" },
        border: { type: "string" },
        "cell-ids": { type: "string" },
        threads: { type: "string" },
        "zarr-format": { type: "string" },
        compression: { type: "string" },
        overwrite: { type: "boolean" },
        quiet: { type: "boolean" },
        part: { type: "string" },
        "shard-rows": { type: "string" },
        finalize: { type: "string" },
      },
      usage,
    );
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"\nusage: ${usage}`);
    const finalize = str(p, "finalize");
    if (finalize !== undefined) {
      const f = await finalizeParts(finalize);
      process.stdout.write(`finalized ${f.output}: ${f.cells} cells from ${f.parts} parts in ${f.seconds.toFixed(2)} s\n`);
      return 0;
    }
    const partText = str(p, "part");
    let part: { index: number; count: number } | undefined;
    if (partText !== undefined) {
      const m = /^(\d+)\/(\d+)$/.exec(partText);
      if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--part must be I/N with 0 <= I < N (e.g. 0/4), got "${partText}"`);
      const out = str(p, "out") ?? "";
      if (!/\.zarr\/?$/i.test(out)) {
        throw new UsageError(`--part writes one Zarr store (one HDF5 file cannot take parallel writers): use --out OUT.zarr, finalize it, then cellfolio convert OUT.zarr OUT.h5sc`);
      }
      part = parsePart(partText);
    }
    const cellIds = list(p, "cell-ids")?.map((s) => {
      if (!/^\d+$/.test(s)) throw new UsageError(`--cell-ids must be positive integers, got "${s}"`);
      return Number(s);
    });
    const compressionText = str(p, "compression");
    await ensureParentDir(required(p, "out", usage));
    const progress = createProgress("extract", "cells", process.stderr, p.values.quiet === true);
    const summary = await extract({
      image: required(p, "image", usage),
      nucleus: required(p, "nucleus", usage),
      cytosol: str(p, "cytosol"),
      out: required(p, "out", usage),
      size: int(p, "size", { min: 2 }),
      preset: choice(p, "preset", ["classic", "scportrait"] as const),
      sigma: num(p, "sigma"),
      dilation: int(p, "dilation", { min: 0 }),
      nuclearChannel: int(p, "nuclear-channel", { min: 0 }),
      channelNames: list(p, "channel-names"),
      match: choice(p, "match", ["auto", "overlap", "ids"] as const),
      matchThreshold: num(p, "match-threshold"),
      binaryMasks: choice(p, "binary-masks", ["label", "refuse"] as const),
      labels: str(p, "labels"),
      border: choice(p, "border", ["drop", "pad"] as const),
      cellIds,
      threads: int(p, "threads", { min: 1 }) ?? availableParallelism(),
      zarrFormat: int(p, "zarr-format", { choices: [2, 3] }) as 2 | 3 | undefined,
      compression: compressionText === undefined ? undefined : parseCompression(compressionText),
      overwrite: p.values.overwrite === true,
      part,
      shardRows: int(p, "shard-rows", { min: 1 }),
      onProgress: (done: number, total: number) => progress.update(done, total),
    });
    progress.finish();
    const s = summary;
    const lines = [
      `wrote ${s.cellsWritten} cells${part ? ` (part ${part.index}/${part.count})` : ""} to ${s.output ?? str(p, "out")} in ${Number(s.seconds).toFixed(2)} s (${Number(s.cellsPerSecond).toFixed(0)} cells/s)`,
    ];
    const m = s.masks;
    if (m?.nucleusBinary != null) lines.push(`nucleus mask is binary: labelled ${m.nucleusBinary} connected components (8-connected)`);
    if (m?.cytosolBinary != null) lines.push(`cytosol mask is binary: labelled ${m.cytosolBinary} connected components (8-connected)`);
    if (m?.match === "overlap") {
      const u = m.unmatchedNuclei;
      const unmatched = u.outsideCytosol.length + u.noMajorityCytosol.length + u.sharedCytosol.length;
      lines.push(`matched nucleus and cytosol masks by overlap (their ids differ): ${unmatched} nuclei unmatched, not written`);
      if (u.outsideCytosol.length) lines.push(`  reaching outside every cytosol: ${u.outsideCytosol.length} (ids ${preview(u.outsideCytosol)})`);
      if (u.noMajorityCytosol.length) lines.push(`  no cytosol covering --match-threshold of them: ${u.noMajorityCytosol.length} (ids ${preview(u.noMajorityCytosol)})`);
      if (u.sharedCytosol.length) lines.push(`  sharing one cytosol with another nucleus: ${u.sharedCytosol.length} (ids ${preview(u.sharedCytosol)})`);
      if (m.unmatchedCytosols.length) lines.push(`cytosols without a nucleus, left out: ${m.unmatchedCytosols.length} (cytosol labels ${preview(m.unmatchedCytosols)})`);
    }
    if (s.channelNamesFrom === "file") lines.push(`channel names from the image: ${s.channelNames.join(", ")}`);
    if (s.droppedAtBorder?.length) lines.push(`dropped at the border: ${s.droppedAtBorder.length} cells (ids ${preview(s.droppedAtBorder)})`);
    if (s.missingCytosol?.length) lines.push(`missing from the cytosol mask: ${s.missingCytosol.length} cells (ids ${preview(s.missingCytosol)})`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

function preview(ids: number[]): string {
  return ids.length <= 20 ? ids.join(", ") : `${ids.slice(0, 20).join(", ")}, …`;
}
