// cellfolio reference: a kerchunk reference file of an HDF5 AnnData, so that
// Zarr readers (zarr-python with fsspec's reference file system, anndata,
// openDataset) read the .h5sc / .h5ad in place, locally or over HTTP.
import { existsSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { hdf5References, stringifyReferences } from "@cellfolio/format";
import { type CommandSpec, flag, helpText, int, parse, str, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { InputError, UsageError } from "../errors.js";
import { cleanUpOnSignal } from "../interrupt.js";
import { ensureParentDir } from "../paths.js";

const spec: CommandSpec = {
  name: "reference",
  positionals: "IN OUT.json",
  options: [
    {
      name: "target",
      value: "URL|PATH",
      help: "where the references point: the URL or path readers will find IN at (default: IN's path relative to OUT's folder; for an http(s) IN, its URL)",
    },
    { name: "inline-threshold", value: "BYTES", help: "chunks and arrays of at most this many stored bytes are written into OUT (default 500)" },
    { name: "overwrite", help: "replace OUT if it exists (once the new one is complete)" },
    { name: "json", help: "print the summary as one JSON object on stdout" },
  ],
  about: `Writes OUT.json, a kerchunk (version 1) reference file of IN (.h5sc / .h5ad /
.h5, a local path or an http(s) URL): every group and array of the AnnData as a
Zarr v2 store whose chunks are byte ranges of IN, with IN's compression named
as numcodecs codecs (zlib, shuffle, imagecodecs_lzf, fletcher32); strings,
attributes and small arrays are written inline. Only IN's metadata and chunk
index are read, not its chunk data. zarr-python (fsspec "reference://") and
cellfolio's own readers (info, view, openDataset) open OUT as a Zarr store and
read IN by range. OUT is written under a temporary name and renamed when
complete.`,
  examples: [
    "cellfolio reference out/sample.h5sc out/sample.json",
    "cellfolio reference out/sample.h5sc out/sample.json --target https://lab.example/data/sample.h5sc",
  ],
};

export const referenceCommand: Command = {
  name: "reference",
  summary: "write a kerchunk reference file of an .h5sc / .h5ad (read as Zarr in place)",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    if (p.positionals.length !== 2) throw new UsageError(`expected IN and OUT.json, got ${p.positionals.length} paths\nusage: ${usageLine(spec)}`);
    const [input, output] = p.positionals;
    if (!/\.json$/i.test(output)) throw new UsageError(`OUT ${output}: expected a path ending in .json (the reference file)`);
    const isUrl = /^https?:\/\//i.test(input);
    if (!isUrl && !existsSync(input)) throw new InputError(`IN ${input}: no such file`);
    if (existsSync(output) && !flag(p, "overwrite")) throw new InputError(`OUT ${output}: already exists; pass --overwrite to replace it (it is replaced only once the new one is complete)`);
    const inlineThreshold = int(p, "inline-threshold", { min: 0 });
    const target = str(p, "target") ?? (isUrl ? input : path.relative(path.dirname(path.resolve(output)), path.resolve(input)).split(path.sep).join("/"));
    const t0 = performance.now();
    const { references, summary } = await hdf5References(input, { target, inlineThreshold });
    await ensureParentDir(output);
    const temp = `${output}.tmp-${Math.random().toString(36).slice(2, 10)}`;
    const dispose = cleanUpOnSignal([output]);
    try {
      await writeFile(temp, stringifyReferences(references));
      await rename(temp, output);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    } finally {
      dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (flag(p, "json")) {
      process.stdout.write(`${JSON.stringify({ input, output, target, ...summary, seconds })}\n`);
      return 0;
    }
    process.stdout.write(
      `wrote ${output}: ${summary.arrays} arrays in ${summary.groups} groups, ${summary.referenced} chunks by reference to ${target}, ${summary.inlined} inline, in ${seconds.toFixed(2)} s\n`,
    );
    return 0;
  },
};
