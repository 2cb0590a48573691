// Filtering, grouping and sorting cells by obs columns, and how a value is
// shown. Missing values (a nullable's <NA>, a categorical's NaN, a float's
// NaN) are their own choice "NA": never counted as the placeholder stored
// under them (0, false, "").
import type { Column, Frame } from "@cellfolio/lazy";

/** What these functions read of obs: the columns and which of their rows are missing. */
export type Obs = Pick<Frame, "columns" | "missing">;

export type Filter =
  /** Rows whose value is among `values` (as distinct() spells them); `missing`: also the rows with none. */
  | { column: string; values: Set<string>; missing: boolean }
  | { column: string; min: number; max: number; missing: boolean };

/** How the page shows a missing value, and the label of its filter choice and group. */
export const NA = "NA";

const MAX_GROUPS = 24;
const NEVER = () => false;

export function isNumeric(c: Column): boolean {
  return !Array.isArray(c);
}

/**
 * The one rule for "row r of this column is missing": the rows lazy marks
 * (nullable and categorical columns: the value there is a placeholder), and a
 * float column's NaN.
 */
export function missingOf(obs: Obs, column: string): (row: number) => boolean {
  const mask = obs.missing[column];
  const c = obs.columns[column];
  const float = c instanceof Float64Array || c instanceof Float32Array ? c : null;
  if (mask && float) return (r) => mask[r] === 1 || Number.isNaN(float[r]);
  if (mask) return (r) => mask[r] === 1;
  if (float) return (r) => Number.isNaN(float[r]);
  return NEVER;
}

/** A row's value as the page shows it: NA if missing, numbers through `num` (fmt by default). */
export function showValue(obs: Obs, column: string, row: number, num: (v: number) => string = fmt): string {
  if (missingOf(obs, column)(row)) return NA;
  const v = obs.columns[column][row];
  return typeof v === "number" ? num(v) : String(v);
}

/**
 * The distinct present values as strings with their counts, most frequent
 * first (numbers in order), and how many rows are missing.
 */
export function distinct(obs: Obs, column: string): { values: { value: string; count: number }[]; missing: number } {
  const c = obs.columns[column];
  const isMissing = missingOf(obs, column);
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < c.length; i++) {
    if (isMissing(i)) {
      missing++;
      continue;
    }
    const v = String(c[i]);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const values = [...counts].map(([value, count]) => ({ value, count }));
  values.sort(isNumeric(c) ? (a, b) => Number(a.value) - Number(b.value) : (a, b) => b.count - a.count);
  return { values, missing };
}

export function applyFilter(rows: number[], obs: Obs, f: Filter | null): number[] {
  if (!f) return rows;
  const c = obs.columns[f.column];
  if (!c) return rows;
  const isMissing = missingOf(obs, f.column);
  if ("values" in f) return rows.filter((r) => (isMissing(r) ? f.missing : f.values.has(String(c[r]))));
  return rows.filter((r) => {
    if (isMissing(r)) return f.missing;
    const v = Number(c[r]);
    return v >= f.min && v <= f.max;
  });
}

export interface Group {
  label: string;
  rows: number[];
}

/**
 * Rows split by a column's value (a numeric column with many values in
 * equal-width bins of the present values); the missing ones in a group "NA",
 * last.
 */
export function groupRows(rows: number[], obs: Obs, column: string | undefined): Group[] {
  const c = column ? obs.columns[column] : undefined;
  if (!column || !c) return [{ label: "", rows }];
  const isMissing = missingOf(obs, column);
  const na: Group = { label: NA, rows: [] };
  let groups: Group[];
  const keys = distinct(obs, column).values;
  if (isNumeric(c) && keys.length > MAX_GROUPS) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      if (isMissing(r)) continue;
      const v = Number(c[r]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const n = 10;
    const w = (hi - lo) / n || 1;
    groups = Array.from({ length: n }, (_, i) => ({ label: `${fmt(lo + i * w)} – ${fmt(lo + (i + 1) * w)}`, rows: [] }));
    for (const r of rows) {
      if (isMissing(r)) na.rows.push(r);
      else groups[Math.min(n - 1, Math.floor((Number(c[r]) - lo) / w))].rows.push(r);
    }
  } else {
    const byKey = new Map<string, number[]>(keys.map((k) => [k.value, []]));
    for (const r of rows) {
      if (isMissing(r)) na.rows.push(r);
      else byKey.get(String(c[r]))?.push(r);
    }
    groups = [...byKey].map(([label, l]) => ({ label, rows: l }));
  }
  groups.push(na);
  return groups.filter((g) => g.rows.length);
}

export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/**
 * Rows ordered by a column (numbers by value, strings by code point),
 * ascending or descending; ties keep row order, missing values last either
 * way (in row order).
 */
export function sortRows(rows: number[], obs: Obs, column: string, descending = false): number[] {
  const c = obs.columns[column];
  const isMissing = missingOf(obs, column);
  const sign = descending ? -1 : 1;
  const present: number[] = [];
  const missing: number[] = [];
  for (const r of rows) (isMissing(r) ? missing : present).push(r);
  const idx = Array.from(present, (_, i) => i);
  if (isNumeric(c)) {
    // keys in a typed array: one Number() a row, not one a comparison
    const key = Float64Array.from(present, (r) => Number(c[r]));
    idx.sort((a, b) => (key[a] === key[b] ? a - b : key[a] < key[b] ? -sign : sign));
  } else {
    const s = c as string[];
    idx.sort((a, b) => {
      const x = s[present[a]];
      const y = s[present[b]];
      return x === y ? a - b : x < y ? -sign : sign;
    });
  }
  const out = idx.map((i) => present[i]);
  for (const r of missing) out.push(r);
  return out;
}
