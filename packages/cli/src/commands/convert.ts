// cellfolio convert: any AnnData between HDF5 and Zarr v2/v3, chunk by chunk.
import { existsSync } from "node:fs";
import { convert } from "@cellfolio/format";
import { type CommandSpec, flag, helpText, int, list, parse, str, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { InputError, UsageError } from "../errors.js";
import { cleanUpOnSignal } from "../interrupt.js";
import { checkOutput, ensureParentDir, isZarrOutput } from "../paths.js";
import { createProgress, fmtBytes } from "../progress.js";
import { checkCompressionFor, parseCompression } from "./compression.js";
import { zarrReaders } from "./readers.js";

const spec: CommandSpec = {
  name: "convert",
  positionals: "IN OUT",
  options: [
    { name: "zarr-format", value: "2|3", help: "Zarr version of a .zarr OUT (default 3; 2 for zarr-python 2 / anndata < 0.11)" },
    { name: "chunks", value: "N,N,...", help: "chunk shape of large dense arrays (default: the input's)" },
    { name: "compression", value: "C", help: "codec of the output's chunks: gzip[:level], lzf, zstd[:level], blosc[:cname[:level]], none" },
    { name: "overwrite", help: "replace OUT if it exists (once the new one is complete; only an HDF5 file or a Zarr store)" },
    { name: "json", help: "print the summary as one JSON object on stdout (no progress)" },
    { name: "quiet", help: "no progress" },
  ],
  about: `Converts IN (.h5ad / .h5sc / .h5 / .zarr, or an http(s) URL) to OUT, the
backend chosen by OUT's extension: .zarr -> Zarr (v3 by default, sharded
where large), .h5ad / .h5sc / .h5 -> HDF5; any other OUT is refused. Every
element, attribute and encoding is kept; dense arrays are copied chunk by
chunk, so memory stays bounded. OUT is written under a temporary name and
appears only when complete; Ctrl-C removes the temporary output.`,
  examples: ["cellfolio convert out/sample.h5sc out/sample.zarr", "cellfolio convert out/sample.zarr out/sample-v2.zarr --zarr-format 2"],
};

export const convertCommand: Command = {
  name: "convert",
  summary: "convert an AnnData between .h5ad/.h5sc (HDF5) and .zarr (v2 or v3)",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    const usage = usageLine(spec);
    if (p.positionals.length !== 2) {
      const got = p.positionals.length === 0 ? "neither" : p.positionals.length === 1 ? `only ${p.positionals[0]}` : `${p.positionals.length} paths (${p.positionals.join(" ")})`;
      throw new UsageError(`expected IN and OUT, got ${got}\nusage: ${usage}`);
    }
    const [input, output] = p.positionals;
    const isZarr = isZarrOutput(output);
    const zarrFormat = int(p, "zarr-format", { choices: [2, 3] }) as 2 | 3 | undefined;
    if (zarrFormat !== undefined && !isZarr) throw new UsageError(`--zarr-format ${zarrFormat} with OUT ${output}: --zarr-format is for a .zarr OUT; expected OUT.zarr, or no --zarr-format`);
    const chunks = list(p, "chunks")?.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--chunks ${str(p, "chunks")}: expected positive integers separated by commas (e.g. --chunks 1,1,128,128); "${s}" is not one`);
      return n;
    });
    const compressionText = str(p, "compression");
    const compression = compressionText === undefined ? undefined : parseCompression(compressionText);
    if (compression && compressionText !== undefined) checkCompressionFor(compression, compressionText, output);
    checkOutput(output, flag(p, "overwrite"), "OUT");
    if (!/^https?:\/\//.test(input) && !existsSync(input)) throw new InputError(`IN ${input}: no such file or directory`);
    const json = flag(p, "json");
    const progress = createProgress("convert", "B", { quiet: flag(p, "quiet") || json });
    progress.stage(`reading the layout of ${input}`);
    const t0 = performance.now();
    await ensureParentDir(output);
    const dispose = cleanUpOnSignal([output]);
    let result: Awaited<ReturnType<typeof convert>>;
    try {
      result = await convert(input, output, {
        zarrFormat,
        chunks,
        compression,
        overwrite: flag(p, "overwrite"),
        onProgress: (pr) => {
          if (pr.bytesDone === 0) progress.stage(`writing ${output} (${fmtBytes(pr.bytesTotal)} of array data)`);
          progress.update(pr.bytesDone, pr.bytesTotal);
        },
      });
      progress.finish();
    } catch (e) {
      progress.stop();
      throw e;
    } finally {
      dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    const format = isZarr ? (zarrFormat ?? 3) : undefined;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ input, output, backend: isZarr ? "zarr" : "hdf5", zarrFormat: format, bytes: result.bytes, seconds, readers: format ? zarrReaders(format, result.recArrays > 0) : undefined })}\n`,
      );
      return 0;
    }
    process.stdout.write(`converted ${input} -> ${output}: ${fmtBytes(result.bytes)} of array data in ${seconds.toFixed(2)} s\n${format ? `${zarrReaders(format, result.recArrays > 0).note}\n` : ""}`);
    return 0;
  },
};
