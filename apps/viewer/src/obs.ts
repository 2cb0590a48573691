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
