// Per-cell labels (class, condition, well, ...) from a CSV file or from rows
// given in code, keyed by cellID, turned into obs columns as anndata would
// store them: integers as int64, other numbers as float64 (NaN where missing),
// true/false as bool, text as a categorical.
import { readFileSync } from "node:fs";
import { type Categorical, type Elem, type NDArray, OWNED_OBS_COLUMNS } from "@cellfolio/format";
import { ExtractError } from "../errors.js";

export type LabelValue = string | number | boolean | null;
export type LabelRows = Record<string, LabelValue>[];

export interface Labels {
  /** Where the labels came from, for error messages. */
  source: string;
  /** cellID -> index into every column. */
  byId: Map<number, number>;
  columns: Record<string, LabelValue[]>;
  columnOrder: string[];
}

/** Column names taken as the cellID, in order of preference (case-insensitive). */
const ID_COLUMNS = ["cellid", "cell_id", "scportrait_cell_id", "id", "label"];

/** RFC 4180 fields: quotes, doubled quotes, separators and newlines inside quotes. */
export function parseCsv(text: string, sep = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function parseValue(s: string): LabelValue {
  const t = s.trim();
  if (t === "" || t === "NA" || t === "NaN" || t === "nan") return null;
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === "true";
  const n = Number(t);
  return Number.isFinite(n) && /^[-+]?[\d.]/.test(t) ? n : s;
}

/** Reads labels from a CSV (or TSV) file; the id column is cellID / cell_id / scportrait_cell_id / id / label, or `idColumn`. */
export function readLabels(input: string | LabelRows, idColumn?: string): Labels {
  let header: string[];
  let records: LabelValue[][];
  const source = typeof input === "string" ? input : "labels";
  if (typeof input === "string") {
    let text: string;
    try {
      text = readFileSync(input, "utf8");
    } catch (e) {
      throw new ExtractError(input, `cannot read the labels file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
    const rows = parseCsv(text, /\.tsv$/i.test(input) ? "\t" : ",");
    if (rows.length === 0) throw new ExtractError(input, "empty labels file; expected a header row with a cellID column");
    header = rows[0].map((h) => h.trim());
    records = rows.slice(1).map((r, k) => {
      if (r.length !== header.length) {
        throw new ExtractError(input, `line ${k + 2}: ${r.length} fields; expected ${header.length} as in the header`);
      }
      return r.map(parseValue);
    });
  } else {
    header = [...new Set(input.flatMap((r) => Object.keys(r)))];
    records = input.map((r) => header.map((h) => r[h] ?? null));
  }
  const lower = header.map((h) => h.toLowerCase());
  const idIndex = idColumn ? header.indexOf(idColumn) : (ID_COLUMNS.map((n) => lower.indexOf(n)).find((k) => k >= 0) ?? -1);
  if (idIndex < 0) {
    throw new ExtractError(source, `no ${idColumn ?? "cellID"} column among [${header.join(", ")}]; expected one of ${idColumn ?? ID_COLUMNS.join(", ")}`);
  }
  const byId = new Map<number, number>();
  records.forEach((r, k) => {
    const id = r[idIndex];
    if (typeof id !== "number" || !Number.isInteger(id) || id <= 0) {
      throw new ExtractError(source, `row ${k + 1}: cellID ${JSON.stringify(id)}; expected a positive integer`);
    }
    if (byId.has(id)) throw new ExtractError(source, `cellID ${id} appears twice; expected one row per cell`);
    byId.set(id, k);
  });
  const columns: Record<string, LabelValue[]> = {};
  const columnOrder = header.filter((_, k) => k !== idIndex);
  for (const name of columnOrder) {
    if (!name) throw new ExtractError(source, "a column without a name; expected a header row naming every column");
    if (name.includes("/")) throw new ExtractError(source, `column "${name}": "/" in a name; anndata refuses it`);
    if (OWNED_OBS_COLUMNS.includes(name)) {
      throw new ExtractError(
        source,
        `column "${name}" is an obs column extract writes itself (${OWNED_OBS_COLUMNS.join(", ")}: the row index, the cellID and the centroid computed from the nucleus mask), so the label would replace it; expected another name: rename the column (e.g. "${name}_label")`,
      );
    }
    const k = header.indexOf(name);
    columns[name] = records.map((r) => r[k]);
  }
  return { source, byId, columns, columnOrder };
}

/** The ids of `labels` that are not cells of the mask (`known`), at most `limit`. */
export function unknownLabelIds(labels: Labels, known: (id: number) => boolean, limit = 10): number[] {
  const out: number[] = [];
  for (const id of labels.byId.keys()) {
    if (!known(id)) {
      out.push(id);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** One obs column per label, rows in the order of `cellIds`. */
export function labelObsColumns(labels: Labels, cellIds: ArrayLike<number>): Record<string, Elem> {
  const n = cellIds.length;
  const out: Record<string, Elem> = {};
  for (const name of labels.columnOrder) {
    const col = labels.columns[name];
    const values: LabelValue[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const k = labels.byId.get(cellIds[r]);
      values[r] = k === undefined ? null : col[k];
    }
    const present = values.filter((v) => v !== null);
    const missing = present.length < n;
    if (present.length > 0 && present.every((v) => typeof v === "boolean") && !missing) {
      out[name] = { dtype: "bool", shape: [n], data: Uint8Array.from(values, (v) => (v ? 1 : 0)) } satisfies NDArray;
    } else if (present.length > 0 && present.every((v) => typeof v === "number")) {
      if (!missing && present.every((v) => Number.isSafeInteger(v))) {
        out[name] = { dtype: "int64", shape: [n], data: BigInt64Array.from(values, (v) => BigInt(v as number)) };
      } else {
        out[name] = { dtype: "float64", shape: [n], data: Float64Array.from(values, (v) => (v === null ? Number.NaN : (v as number))) };
      }
    } else {
      const text = values.map((v) => (v === null ? null : String(v)));
      const categories = [...new Set(text.filter((v): v is string => v !== null))].sort();
      const code = new Map(categories.map((c, k) => [c, k]));
      const codesType = categories.length < 128 ? "int8" : categories.length < 32768 ? "int16" : "int32";
      const codes = codesType === "int8" ? new Int8Array(n) : codesType === "int16" ? new Int16Array(n) : new Int32Array(n);
      text.forEach((v, r) => {
        codes[r] = v === null ? -1 : (code.get(v) as number);
      });
      out[name] = {
        kind: "categorical",
        codes: { dtype: codesType, shape: [n], data: codes },
        categories: { dtype: "string", shape: [categories.length], data: categories },
        ordered: false,
      } satisfies Categorical;
    }
  }
  return out;
}
