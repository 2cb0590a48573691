// extract(): images + masks -> a single-cell image dataset on disk, in one
// process. The set-up (prepare.ts) fixes the rows from the nucleus mask alone;
// the layout's obs / var / uns (format's layout.ts) are written from that
// plan; the stacks are streamed into the images array (stream.ts), whose
// backend compresses on the libuv threadpool while the workers compute.
// A cluster extraction runs the same two steps a part at a time (parts.ts).
import { existsSync } from "node:fs";
import { createImagesArray, createStore, imagesArrayLayout, writeSingleCellLayout } from "@cellfolio/format";
import { ExtractError } from "./errors.js";
import { labelObsColumns } from "./inputs/labels-csv.js";
import { extractPart } from "./parts.js";
import { type ExtractOptions, type ExtractSummary, inputSources, prepareExtraction, streamOptions } from "./prepare.js";
import { streamToArray } from "./stream.js";

function checkOutput(o: ExtractOptions): void {
  if (typeof o.out !== "string" || o.out === "") throw new ExtractError("out", "missing; expected an output path ending in .h5sc, .h5ad or .zarr");
  if (!/\.(h5sc|h5ad|h5|hdf5|zarr)\/?$/i.test(o.out)) {
    throw new ExtractError(o.out, "unknown output kind; expected a path ending in .h5sc or .h5ad (HDF5) or .zarr (Zarr)");
  }
  if (existsSync(o.out) && !o.overwrite) throw new ExtractError(o.out, "already exists; expected a new path, or overwrite to replace it");
  if (o.zarrFormat !== undefined && o.zarrFormat !== 2 && o.zarrFormat !== 3) {
    throw new ExtractError("zarrFormat", `${o.zarrFormat}; expected 2 or 3`);
  }
}

export async function extract(o: ExtractOptions): Promise<ExtractSummary> {
  if (o.part) return extractPart(o, o.part);
  const started = performance.now();
  checkOutput(o);
  const p = await prepareExtraction(o);
  const { plan, params, image, labels, threads, nMasks } = p;
  try {
    const n = plan.cells.length;
    const writer = await createStore(o.out, { zarrFormat: o.zarrFormat ?? 3, overwrite: o.overwrite });
    try {
      o.onStage?.({ stage: "start", threads });
      const { rowsPerUnit: _, ...arrayOptions } = imagesArrayLayout(writer.backend, writer.zarrFormat, n, nMasks + image.channels, params.size, o.compression, o.shardRows);
      const array = await createImagesArray(writer, arrayOptions);
      // obs / var / uns are known from the plan: written first, they sit before the
      // stacks in an HDF5 file (one range request for a remote reader) and nothing
      // is appended to the file while stack chunks are still being compressed.
      // They are written while the first band is read and the workers start
      // (the stream's sink waits for them): 25-150 ms less before the first cell.
      const ids = plan.cells.column("id");
      const layout = writeSingleCellLayout(writer, {
        cells: { id: ids, centroidY: plan.cells.column("centroidY"), centroidX: plan.cells.column("centroidX") },
        droppedAtBorder: plan.droppedAtBorder,
        nMasks,
        imageChannelNames: p.names.names,
        params,
        compression: array.info.compression,
        labelColumns: labels
          ? labelObsColumns(
              labels,
              ids,
            )
          : undefined,
        labelColumnOrder: labels?.columnOrder,
        sources: inputSources(o, image),
      });
      const stacks = streamToArray(array, plan, params, p, { ...streamOptions(o, threads, 0, n), workers: p.workers, writeAfter: layout });
      // Both settle before the writer is closed or aborted: a failed layout fails the stream at its first row.
      const [wrote, streamed] = await Promise.allSettled([layout, stacks]);
      if (wrote.status === "rejected") throw wrote.reason;
      if (streamed.status === "rejected") throw streamed.reason;
      const { missingCytosol } = streamed.value;
      await array.close();
      await writer.close();
      const seconds = (performance.now() - started) / 1000;
      return {
        cellsWritten: n,
        droppedAtBorder: plan.droppedAtBorder,
        missingCytosol,
        masks: p.masks,
        channelNames: p.names.names,
        channelNamesFrom: p.names.from,
        seconds,
        cellsPerSecond: n / seconds,
        output: o.out,
        threads,
        compression: array.info.compression,
        params,
      };
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
  } finally {
    await p.close();
  }
}
