// Filtering and grouping cells by obs columns.
import type { Column } from "@cellfolio/lazy";

export type Filter = { column: string; values: Set<string> } | { column: string; min: number; max: number };

const MAX_GROUPS = 24;

export function isNumeric(c: Column): boolean {
  return !Array.isArray(c);
}

/** Distinct values as strings with their counts, most frequent first (numbers in order). */
export function distinct(c: Column): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < c.length; i++) {
    const v = String(c[i]);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const out = [...counts].map(([value, count]) => ({ value, count }));
  return isNumeric(c) ? out.sort((a, b) => Number(a.value) - Number(b.value)) : out.sort((a, b) => b.count - a.count);
}

export function applyFilter(rows: number[], cols: Record<string, Column>, f: Filter | null): number[] {
  if (!f) return rows;
  const c = cols[f.column];
  if (!c) return rows;
  if ("values" in f) return rows.filter((r) => f.values.has(String(c[r])));
  return rows.filter((r) => {
    const v = Number(c[r]);
    return v >= f.min && v <= f.max;
  });
}

export interface Group {
  label: string;
  rows: number[];
}

/** Rows split by a column's value; a numeric column with many values in equal-width bins. */
export function groupRows(rows: number[], c: Column | undefined): Group[] {
  if (!c) return [{ label: "", rows }];
  const keys = distinct(c);
  if (isNumeric(c) && keys.length > MAX_GROUPS) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      const v = Number(c[r]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const n = 10;
    const w = (hi - lo) / n || 1;
    const bins: Group[] = Array.from({ length: n }, (_, i) => ({ label: `${fmt(lo + i * w)} – ${fmt(lo + (i + 1) * w)}`, rows: [] }));
    for (const r of rows) bins[Math.min(n - 1, Math.floor((Number(c[r]) - lo) / w))].rows.push(r);
    return bins.filter((b) => b.rows.length);
  }
  const byKey = new Map<string, number[]>(keys.map((k) => [k.value, []]));
  for (const r of rows) byKey.get(String(c[r]))?.push(r);
  return [...byKey].filter(([, l]) => l.length).map(([label, l]) => ({ label, rows: l }));
}

export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/**
 * Rows ordered by a column (numbers by value, strings by code point),
 * ascending or descending; ties and missing values (NaN, "") keep row order,
 * missing values last either way.
 */
export function sortRows(rows: number[], c: Column, descending = false): number[] {
  const sign = descending ? -1 : 1;
  if (isNumeric(c)) {
    // keys in a typed array: one Number() a row, not one a comparison
    const key = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      key[i] = Number(c[r]);
    });
    const idx = Array.from(rows, (_, i) => i);
    idx.sort((a, b) => {
      const x = key[a];
      const y = key[b];
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? a - b : 1) : -1;
      return x === y ? a - b : x < y ? -sign : sign;
    });
    return idx.map((i) => rows[i]);
  }
  const s = c as string[];
  return rows
    .map((r, i) => ({ r, i, k: s[r] }))
    .sort((a, b) => {
      if (a.k === "" || b.k === "") return a.k === "" ? (b.k === "" ? a.i - b.i : 1) : -1;
      return a.k === b.k ? a.i - b.i : a.k < b.k ? -sign : sign;
    })
    .map((e) => e.r);
}
