// Which readers open a Zarr store of each version: said in the summaries, since
// a v3 store (the default) fails in zarr-python 2 / anndata < 0.11 with
// "nothing found at path ''" and no hint.

export interface ZarrReaders {
  zarrFormat: 2 | 3;
  /** Who opens it. */
  opensWith: string[];
  /** One line for the summary. */
  note: string;
}

/** `recArrays`: the store holds rec-arrays, in v3 the "struct" data type that zarr-python < 3.1 cannot read. */
export function zarrReaders(format: 2 | 3, recArrays = false): ZarrReaders {
  if (format === 3) {
    const opensWith = recArrays ? ["zarr-python >= 3.1", "anndata with zarr-python >= 3.1", "cellfolio"] : ["zarr-python >= 3", "anndata >= 0.11", "cellfolio"];
    return {
      zarrFormat: 3,
      opensWith,
      note: `Zarr v3: opens in ${opensWith.join(", ")}; for zarr-python 2 or an older anndata write Zarr v2 with --zarr-format 2 (or cellfolio convert OUT.zarr OUT-v2.zarr --zarr-format 2)`,
    };
  }
  const opensWith = ["zarr-python 2 and 3", "anndata >= 0.8", "cellfolio"];
  return { zarrFormat: 2, opensWith, note: `Zarr v2: opens in ${opensWith.join(", ")}` };
}
