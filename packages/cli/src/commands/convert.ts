// cellfolio convert: any AnnData between HDF5 and Zarr v2/v3, chunk by chunk.
import { convert } from "@cellfolio/format";
import { int, list, parse, str } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { ensureParentDir } from "../paths.js";
import { createProgress, fmtBytes } from "../progress.js";
import { parseCompression } from "./compression.js";

const usage =
  "cellfolio convert IN OUT [--zarr-format 2|3] [--chunks N,N,...] [--compression none|gzip[:level]|zstd[:level]|blosc|lzf] [--overwrite] [--quiet]";

export const convertCommand: Command = {
  name: "convert",
  summary: "convert an AnnData between .h5ad/.h5sc (HDF5) and .zarr (v2 or v3)",
  help: `${usage}

Converts IN to OUT, the backend chosen by OUT's extension: .zarr -> Zarr
(v3 by default, sharded where large), .h5ad / .h5sc / .h5 -> HDF5. Every
element, attribute and encoding is kept; dense arrays are copied chunk by
chunk, so memory stays bounded. OUT is written under a temporary name and
appears only when complete.

  --zarr-format 2|3   Zarr version of the output (default 3)
  --chunks N,N,...    chunk shape of large dense arrays (default: the input's)
  --compression C     codec of the output's chunks (default: the backend's)
  --overwrite         replace OUT if it exists
  --quiet             no progress

example: cellfolio convert out/sample.h5sc out/sample.zarr`,
  async run(argv) {
    const p = parse(
      argv,
      {
        "zarr-format": { type: "string" },
        chunks: { type: "string" },
        compression: { type: "string" },
        overwrite: { type: "boolean" },
        quiet: { type: "boolean" },
      },
      usage,
    );
    if (p.positionals.length !== 2) throw new UsageError(`expected IN and OUT\nusage: ${usage}`);
    const [input, output] = p.positionals;
    const zarrFormat = int(p, "zarr-format", { choices: [2, 3] }) as 2 | 3 | undefined;
    const chunks = list(p, "chunks")?.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--chunks must be positive integers, got "${s}"`);
      return n;
    });
    const compressionText = str(p, "compression");
    const compression = compressionText === undefined ? undefined : parseCompression(compressionText);
    const progress = createProgress("convert", "B", process.stderr, p.values.quiet === true);
    const t0 = performance.now();
    await ensureParentDir(output);
    const result = await convert(input, output, {
      zarrFormat,
      chunks,
      compression,
      overwrite: p.values.overwrite === true,
      onProgress: (pr) => progress.update(pr.bytesDone, pr.bytesTotal),
    });
    progress.finish();
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`converted ${input} -> ${output}: ${fmtBytes(result.bytes)} of array data in ${seconds.toFixed(2)} s\n`);
    return 0;
  },
};
