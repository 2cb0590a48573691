// "Export selection for LMD": the selected cellIDs as the file
// `cellfolio lmd --cells-file` takes (a `cellID` column, one ID a line), and
// the command that turns them into the Leica XML, with the mask and the
// dataset extract recorded in uns filled in where the dataset names them.
import type { SingleCellImagesInfo } from "@cellfolio/lazy";

export interface LmdExport {
  /** The cells file's name and text. */
  fileName: string;
  text: string;
  /** The command to run beside the file. */
  command: string;
}

/** A shell word: quoted when it holds anything a shell would read. */
const word = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

export function lmdExport(ids: ArrayLike<number | bigint>, info: SingleCellImagesInfo, datasetName: string): LmdExport {
  const base = datasetName.replace(/\.[^.]*$/, "") || "cells";
  const fileName = `${base}-lmd-cells.csv`;
  const text = `cellID\n${Array.from(ids, String).join("\n")}\n`;
  // the cell outlines: the cytosol mask where extract had one, else the nucleus mask
  const mask = info.sourceCytosolMask ?? info.sourceNucleusMask ?? "MASK.tif";
  const command = [
    "cellfolio lmd",
    `--mask ${word(mask)}`,
    `--dataset ${word(datasetName)}`,
    `--cells-file ${word(fileName)}`,
    `--calibration "x1,y1 x2,y2 x3,y3"`,
    `--out ${word(`${base}-cut.xml`)}`,
    `--png ${word(`${base}-cut.png`)}`,
  ].join(" \\\n  ");
  return { fileName, text, command };
}
