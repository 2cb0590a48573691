// Opening a Zarr store: which version it is (zarr.json: v3; .zgroup,
// .zarray or .zmetadata: v2), its consolidated metadata when it has some
// (v3's inline consolidated_metadata, v2's .zmetadata), and a node's
// metadata documents read one by one when it has none.
import { parseJson } from "./json.js";
import type { KeyStore } from "./key-store.js";

export interface NodeDoc {
  kind: "group" | "array";
  /** v2: the .zarray document; v3: zarr.json. */
  doc: any;
  attrs: Record<string, unknown>;
}

export function join(p: string, key: string): string {
  return p ? `${p}/${key}` : key;
}

export function norm(p: string): string {
  return p.replace(/^\/+|\/+$/g, "");
}

/** The store's Zarr version and its consolidated metadata (null: none); throws when the root is not Zarr. */
export async function discover(store: KeyStore): Promise<{ zarrFormat: 2 | 3; consolidated: Map<string, NodeDoc> | null }> {
    const rootV3 = await store.get("zarr.json");
    if (rootV3) {
      const doc = parseJson(rootV3, "zarr.json");
      if (doc.zarr_format !== 3) throw new Error(`zarr.json has zarr_format ${doc.zarr_format}, expected 3`);
      let consolidated: Map<string, NodeDoc> | null = null;
      const cm = doc.consolidated_metadata;
      if (cm && cm.kind === "inline" && cm.metadata) {
        consolidated = new Map();
        consolidated.set("", { kind: doc.node_type, doc, attrs: doc.attributes ?? {} });
        const add = (prefix: string, md: Record<string, any>) => {
          for (const [k, d] of Object.entries(md)) {
            const p = join(prefix, k);
            consolidated?.set(p, { kind: d.node_type, doc: d, attrs: d.attributes ?? {} });
            if (d.node_type === "group" && d.consolidated_metadata?.metadata) add(p, d.consolidated_metadata.metadata);
          }
        };
        add("", cm.metadata);
      }
      return { zarrFormat: 3, consolidated };
    }
    const zmeta = await store.get(".zmetadata");
    if (zmeta) {
      const doc = parseJson(zmeta, ".zmetadata");
      const md: Record<string, any> = doc.metadata;
  if (!md) throw new Error(".zmetadata has no 'metadata'");
      const consolidated = new Map<string, NodeDoc>();
      for (const [k, d] of Object.entries(md)) {
        const slash = k.lastIndexOf("/");
        const p = slash < 0 ? "" : k.slice(0, slash);
        const name = k.slice(slash + 1);
        if (name === ".zarray" || name === ".zgroup") {
          const prev = consolidated.get(p);
          consolidated.set(p, { kind: name === ".zarray" ? "array" : "group", doc: d, attrs: prev?.attrs ?? {} });
        } else if (name === ".zattrs") {
          const prev = consolidated.get(p);
          if (prev) prev.attrs = d;
          else consolidated.set(p, { kind: "group", doc: null, attrs: d });
        }
      }
      return { zarrFormat: 2, consolidated };
    }
    if ((await store.get(".zgroup")) || (await store.get(".zarray"))) return { zarrFormat: 2, consolidated: null };
    throw new Error("not a Zarr store: no zarr.json, .zgroup, .zarray or .zmetadata at its root");
}

/** A node's metadata documents from the store itself (not consolidated); null when there is no node at `path`. */
export async function readNode(store: KeyStore, zarrFormat: 2 | 3, path: string): Promise<NodeDoc | null> {
  const read = async (key: string) => {
    const b = await store.get(join(path, key));
    return b ? parseJson(b, join(path, key)) : undefined;
  };
  if (zarrFormat === 3) {
    const d = await read("zarr.json");
    return d ? { kind: d.node_type, doc: d, attrs: d.attributes ?? {} } : null;
  }
  const arr = await read(".zarray");
  const grp = arr ? undefined : await read(".zgroup");
  if (!arr && !grp) return null;
  const attrs = (await read(".zattrs")) ?? {};
  return { kind: arr ? "array" : "group", doc: arr ?? grp, attrs };
}
