// A group inside a Zarr store read as a dataset of its own, and annbatch's
// DatasetCollection: a Zarr group (attribute encoding-type
// "annbatch-preshuffled") of AnnData stores dataset_0, dataset_1, ..., each
// shuffled, chunked and sharded on its own. openDataset opens one of them by
// its path or URL inside the collection (`x.zarr/dataset_1`); the collection
// itself when it holds one. They are not joined into one dataset: annbatch's
// own Loader adds each as a dataset of its own, each has its own chunk grid,
// and cellIDs repeat across them when several .h5sc went in.
import type { NodeInfo, StoreReader } from "@cellfolio/format";
import { DatasetError } from "./errors.js";

export const ANNBATCH_COLLECTION = "annbatch-preshuffled";

/**
 * A path or URL naming a group inside a `.zarr` store (`x.zarr/dataset_0`):
 * the store and the group. The store is opened at its root, whose
 * consolidated metadata, where it has some, then serves the group too.
 */
export function splitZarrGroup(source: string): { root: string; group: string } | null {
  const url = /^https?:\/\//i.test(source) ? new URL(source) : null;
  const m = /^(.*\.zarr)\/+(.+?)\/*$/i.exec(url ? url.pathname : source);
  // a file in a folder named *.zarr stays a file
  if (!m || /\.zarr(\/|$)|\.(h5ad|h5sc|h5adsc|h5|hdf5|hdf|json|zip)$/i.test(m[2])) return null;
  const group = url ? decodeURIComponent(m[2]) : m[2];
  if (!url) return { root: m[1], group };
  url.pathname = m[1];
  return { root: url.href, group };
}

/** The group `prefix` of `store` as a store of its own (paths, and the paths of the nodes it gives, relative to it). */
export function subStore(store: StoreReader, prefix: string): StoreReader {
  const trim = (p: string) => p.replace(/^\/+|\/+$/g, "");
  const root = trim(prefix);
  const at = (p: string) => (trim(p) ? `${root}/${trim(p)}` : root);
  const rel = (n: NodeInfo | null): NodeInfo | null => (n ? { ...n, path: trim(n.path).slice(root.length + 1) } : n);
  const sub: StoreReader = {
    backend: store.backend,
    source: `${store.source.replace(/\/+$/, "")}/${root}`,
    zarrFormat: store.zarrFormat,
    get: async (p) => rel(await store.get(at(p))),
    list: (p) => store.list(at(p)),
    readArray: (p) => store.readArray(at(p)),
    readBlock: (p, start, shape, o) => store.readBlock(at(p), start, shape, o),
    close: () => store.close(),
  };
  const readRows = store.readRows?.bind(store);
  if (readRows) sub.readRows = (p, rows, start, shape, o) => readRows(at(p), rows, start, shape, o);
  const readRecords = store.readRecords?.bind(store);
  if (readRecords) sub.readRecords = (p) => readRecords(at(p));
  return sub;
}

/**
 * For an annbatch collection: its one dataset's group, or an error naming its
 * datasets (open one of them). null for any other store.
 */
export async function collectionDataset(store: StoreReader, name: string): Promise<string | null> {
  const root = await store.get("").catch(() => null);
  if (root?.kind !== "group" || root.attrs["encoding-type"] !== ANNBATCH_COLLECTION) return null;
  let names = (await store.list("").catch(() => null))?.filter((n) => /^dataset_\d+$/.test(n)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  if (!names) {
    // no listing (HTTP, and annbatch leaves the root without consolidated metadata): dataset_0, dataset_1, ... until one is missing
    names = [];
    while ((await store.get(`dataset_${names.length}`).catch(() => null))?.kind === "group") names.push(`dataset_${names.length}`);
  }
  if (names.length === 1) return names[0];
  if (!names.length) throw new DatasetError(name, "", "an annbatch collection without datasets (no group dataset_0)");
  throw new DatasetError(name, "", `an annbatch collection of ${names.length} datasets (${names.join(", ")}): open one of them by its path or URL, e.g. ${name.replace(/\/+$/, "")}/${names[0]}`);
}
