// cellfolio extract: a slide image + segmentation masks -> a single-cell image dataset.
import { availableParallelism } from "node:os";
import { type ExtractOptions, extract, finalizeParts, parsePart, resolveParams } from "@cellfolio/extract";
import { type CommandSpec, choice, flag, helpText, idList, int, list, num, parse, required, str, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { inFlags, UsageError } from "../errors.js";
import { cleanUpOnSignal } from "../interrupt.js";
import { checkOutput, ensureParentDir, isZarrOutput } from "../paths.js";
import { createProgress } from "../progress.js";
import { checkCompressionFor, parseCompression } from "./compression.js";
import { zarrReaders } from "./readers.js";

type ExtractStage = Parameters<NonNullable<ExtractOptions["onStage"]>>[0];

/** Worker threads at most: each holds its own buffers and isolate (~10 MB), and past the cores they add memory, not speed. */
const MAX_THREADS = 256;

const spec: CommandSpec = {
  name: "extract",
  options: [
    { name: "image", value: "IMG", required: true, help: "the slide: TIFF / OME-TIFF (channels as pages or samples; a multi-file\nOME-TIFF set from any of its files) or Zarr (C, H, W)" },
    { name: "nucleus", value: "MASK", required: true, help: "nucleus label mask (integer TIFF or Zarr; 0 = background, each cell its id)\nor an array inside a store by its path in it: cells.zarr.zip/masks/0 (10x Xenium;\nits masks/1, the cell mask, goes to --cytosol)" },
    {
      name: "cytosol",
      value: "MASK",
      help: "cytosol label mask (optional): the same ids as the nuclei, or an\nindependent segmentation, matched by overlap (--match)",
    },
    { name: "out", value: "OUT", required: true, help: "output: .h5sc / .h5ad (HDF5) or .zarr (Zarr v3 sharded; v2 with --zarr-format 2)" },
    { name: "size", value: "S", help: "crop size in pixels, even, 2..4096 (default 128)" },
    { name: "preset", value: "classic|scportrait", help: "extraction preset (default classic)" },
    { name: "sigma", value: "X", help: "blur sigma, > 0 (default 5 for classic, 1 for scportrait)" },
    { name: "dilation", value: "R", help: "disk radius of the cytosol expansion, >= 0 (default 6 for classic)" },
    { name: "nuclear-channel", value: "I", help: "0-based index of the nuclear channel of IMG (default 0)" },
    {
      name: "channel-names",
      value: "a,b,c",
      help: "names of the image channels, one per channel, each different, none named\nnucleus_mask or cytosol_mask (default: the OME-TIFF / OME-Zarr channel names,\nelse channel_0, channel_1, ...)",
    },
    {
      name: "match",
      value: "auto|overlap|ids",
      help: "how cytosol labels pair with nuclei: overlap (each nucleus to the cytosol\ncovering --match-threshold of it, as scPortrait's mask matching; unmatched\nnuclei are not written), ids (the same id in both masks) or auto (default:\nids if they agree for 90% of the nuclei, else overlap)",
    },
    { name: "match-threshold", value: "X", help: "overlap: share of a nucleus its cytosol must cover, 0.5-1 (default 0.95)" },
    {
      name: "binary-masks",
      value: "label|refuse",
      help: "a mask of one value over separate regions (0/255): label (default) its\nconnected components (8-connected, as skimage.measure.label), or refuse it",
    },
    { name: "labels", value: "CSV", help: "per-cell labels added to obs: a cellID column, then any columns" },
    { name: "border", value: "drop|pad", help: "cells whose crop leaves the image: drop them (default) or zero-pad" },
    { name: "cell-ids", value: "1,2,...", help: "only these cells (ids of the nucleus mask)" },
    { name: "threads", value: "N", help: `worker threads, 1 to ${MAX_THREADS} (default: all cores)` },
    { name: "zarr-format", value: "2|3", help: "Zarr version of a .zarr output (default 3; 2 for zarr-python 2 / anndata < 0.11)" },
    { name: "compression", value: "C", help: "codec of the stacks: gzip[:level], lzf, zstd[:level], blosc[:cname[:level]], none" },
    { name: "shard-rows", value: "R", help: "Zarr v3: cells per shard file (default: about 32 MiB of stacks)" },
    { name: "overwrite", help: "replace OUT if it exists (once the new one is complete; only an HDF5 file or a Zarr store)" },
    {
      name: "part",
      value: "I/N",
      help: "cluster part I of N (0-based; e.g. a Slurm array task): writes only this\npart's shards of OUT.zarr; every part must get the same inputs and options",
    },
    {
      name: "finalize",
      value: "OUT.zarr",
      help: "once all N parts are complete: obs, var, uns and the metadata; names the\nmissing or incomplete parts otherwise (exit 1). HDF5 from parts:\ncellfolio convert OUT.zarr OUT.h5sc afterwards",
    },
    { name: "json", help: "print the summary as one JSON object on stdout (no progress)" },
    { name: "quiet", help: "no progress" },
  ],
  moreUsage: ["cellfolio extract --finalize OUT.zarr [--json]"],
  about: `For every cell of the nucleus mask: its masks and every channel of IMG,
cropped S x S around the cell's centroid, masked with the expanded and
blurred cell mask and normalised to [0, 1], stored as float16 in
obsm/single_cell_images with the cellID (obs/scportrait_cell_id) and the
centroid (obs/centroid_y, obs/centroid_x). The output opens in anndata and
scPortrait as it is. OUT is written under a temporary name and appears only
when complete; Ctrl-C removes the temporary output.

Progress goes to stderr: what is being done (opening, finding cells, the
plan), then a bar with cells/s and, once the rate is steady, an ETA; plain
timestamped lines when stderr is not a terminal. The summary goes to stdout.`,
  examples: [
    "cellfolio extract --image test-data/sample/image.tif --nucleus test-data/sample/nucleus.tif \\\n           --cytosol test-data/sample/cytosol.tif --labels test-data/sample/labels.csv --size 48 --out out/sample.h5sc",
  ],
};

export const extractCommand: Command = {
  name: "extract",
  summary: "extract one masked, normalised image stack per cell into .h5sc or .zarr",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    const usage = usageLine(spec);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}" (every input is given by a flag, e.g. --image ${p.positionals[0]})\nusage: ${usage}`);
    const json = flag(p, "json");
    const finalize = str(p, "finalize");
    if (finalize !== undefined) {
      const f = await finalizeParts(finalize);
      process.stdout.write(
        json ? `${JSON.stringify(f)}\n` : `finalized ${f.output}: ${f.cells} cells from ${f.parts} parts in ${f.seconds.toFixed(2)} s\n${zarrNote(f.output, 3)}`,
      );
      return 0;
    }
    const image = required(p, "image", spec);
    const nucleus = required(p, "nucleus", spec);
    const out = required(p, "out", spec);
    const overwrite = flag(p, "overwrite");
    const partText = str(p, "part");
    let part: { index: number; count: number } | undefined;
    if (partText !== undefined) {
      const m = /^(\d+)\/(\d+)$/.exec(partText);
      if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--part ${partText}: expected I/N with 0 <= I < N (e.g. --part 0/4)`);
      if (!isZarrOutput(out)) {
        throw new UsageError(`--part with --out ${out}: parts write one Zarr store (one HDF5 file cannot take parallel writers); use --out OUT.zarr, finalize it, then cellfolio convert OUT.zarr OUT.h5sc`);
      }
      part = parsePart(partText);
    } else {
      checkOutput(out, overwrite, "--out");
    }
    const zarrFormat = int(p, "zarr-format", { choices: [2, 3] }) as 2 | 3 | undefined;
    if (zarrFormat !== undefined && !isZarrOutput(out)) throw new UsageError(`--zarr-format ${zarrFormat} with --out ${out}: --zarr-format is for a .zarr output; expected --out OUT.zarr, or no --zarr-format`);
    const compressionText = str(p, "compression");
    const options = {
      image,
      nucleus,
      cytosol: str(p, "cytosol"),
      out,
      size: int(p, "size", { even: true, min: 2, max: 4096 }),
      preset: choice(p, "preset", ["classic", "scportrait"] as const),
      sigma: num(p, "sigma", { positive: true }),
      dilation: int(p, "dilation", { min: 0, max: 1000 }),
      nuclearChannel: int(p, "nuclear-channel", { min: 0 }),
      channelNames: list(p, "channel-names"),
      match: choice(p, "match", ["auto", "overlap", "ids"] as const),
      matchThreshold: num(p, "match-threshold"),
      binaryMasks: choice(p, "binary-masks", ["label", "refuse"] as const),
      labels: str(p, "labels"),
      border: choice(p, "border", ["drop", "pad"] as const),
      cellIds: idList(p, "cell-ids"),
      threads: int(p, "threads", { min: 1, max: MAX_THREADS }) ?? availableParallelism(),
      zarrFormat,
      compression: compressionText === undefined ? undefined : parseCompression(compressionText),
      overwrite,
      part,
      shardRows: int(p, "shard-rows", { min: 1 }),
    } satisfies ExtractOptions;
    // The values that are wrong whatever the inputs are usage errors (exit 2), found before any file is read.
    if (options.compression && compressionText !== undefined) checkCompressionFor(options.compression, compressionText, out);
    try {
      resolveParams({ preset: options.preset, size: options.size, sigma: options.sigma, dilation: options.dilation, nuclearChannel: options.nuclearChannel, border: options.border });
    } catch (e) {
      throw new UsageError(inFlags(e as Error));
    }
    await ensureParentDir(out);
    const progress = createProgress("extract", "cells", { quiet: flag(p, "quiet") || json });
    if (options.threads > availableParallelism() && !flag(p, "quiet")) {
      process.stderr.write(`note: --threads ${options.threads} is more than the ${availableParallelism()} cores here: threads past the cores add memory, not speed\n`);
    }
    const dispose = cleanUpOnSignal([out]);
    let planned = 0;
    const onStage = (e: ExtractStage) => {
      if (e.stage === "open") progress.stage(`opening ${[image, nucleus, options.cytosol].filter(Boolean).join(", ")}`);
      else if (e.stage === "scan") progress.stage(`finding cells in ${e.mask}`, e.rows > 0 ? e.rowsDone / e.rows : undefined);
      else if (e.stage === "planned") {
        planned = e.cells;
        progress.stage(`${e.cells} cells planned (${e.inMask} in the nucleus mask${e.droppedAtBorder ? `, ${e.droppedAtBorder} dropped at the border` : ""})`);
      } else if (e.stage === "start") progress.stage(`${planned} cells planned; starting ${e.threads} worker${e.threads === 1 ? "" : "s"} and reading the first band of the slide`);
    };
    let s: Awaited<ReturnType<typeof extract>>;
    try {
      s = await extract({ ...options, onStage, onProgress: (done: number, total: number) => progress.update(done, total) });
      progress.finish();
    } catch (e) {
      progress.stop();
      throw e;
    } finally {
      dispose();
    }
    const output = s.output ?? out;
    const isZarr = isZarrOutput(output);
    const format = isZarr ? (zarrFormat ?? 3) : undefined;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          output,
          backend: isZarr ? "zarr" : "hdf5",
          zarrFormat: format,
          part: part ? `${part.index}/${part.count}` : undefined,
          cellsWritten: s.cellsWritten,
          droppedAtBorder: s.droppedAtBorder,
          missingCytosol: s.missingCytosol,
          masks: s.masks,
          channelNames: s.channelNames,
          seconds: s.seconds,
          cellsPerSecond: s.cellsPerSecond,
          threads: s.threads,
          compression: s.compression,
          params: s.params,
          readers: isZarr && !part ? zarrReaders(format as 2 | 3) : undefined,
        })}\n`,
      );
      return 0;
    }
    const lines = [
      `wrote ${s.cellsWritten} cells${part ? ` (part ${part.index}/${part.count})` : ""} to ${output} in ${Number(s.seconds).toFixed(2)} s (${Number(s.cellsPerSecond).toFixed(0)} cells/s)`,
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
    if (s.droppedAtBorder?.length) lines.push(`dropped at the border: ${s.droppedAtBorder.length} cells (ids ${preview(s.droppedAtBorder)}); --border pad keeps them, zero-padded`);
    if (s.missingCytosol?.length) lines.push(`missing from the cytosol mask: ${s.missingCytosol.length} cells (ids ${preview(s.missingCytosol)})`);
    process.stdout.write(`${lines.join("\n")}\n${part ? "" : zarrNote(output, format)}`);
    return 0;
  },
};

/** The readers line of a Zarr summary (empty for HDF5). */
function zarrNote(output: string, format: 2 | 3 | undefined): string {
  if (!isZarrOutput(output) || format === undefined) return "";
  return `${zarrReaders(format).note}\n`;
}

function preview(ids: number[]): string {
  return ids.length <= 20 ? ids.join(", ") : `${ids.slice(0, 20).join(", ")}, …`;
}

