// No import cycles between the files of packages/*/src (type-only imports
// included: a cycle of types is still two files that cannot be read apart).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../test-utils/oracle.js";

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** file -> the files of the same package it imports or re-exports from (relative specifiers). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const code = readFileSync(f, "utf8");
    const deps: string[] = [];
    for (const m of code.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/gms)) {
      const target = path.resolve(path.dirname(f), m[1].replace(/\.js$/, ".ts"));
      if (known.has(target)) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** One cycle of `graph` (its files in order), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

describe("import graph of packages/*/src", () => {
  it("the cycle finder finds a cycle through a type-only import, and none in a chain", () => {
    const dir = path.join(REPO_ROOT, "packages/x/src");
    const g = new Map([
      [`${dir}/a.ts`, [`${dir}/b.ts`]],
      [`${dir}/b.ts`, [`${dir}/c.ts`]],
      [`${dir}/c.ts`, [`${dir}/a.ts`]],
    ]);
    expect(findCycle(g)?.map((f) => path.basename(f))).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
    g.set(`${dir}/c.ts`, []);
    expect(findCycle(g)).toBeNull();
  });

  it("reads import type, multi-line imports and re-exports as edges", () => {
    const files = tsFiles(path.join(REPO_ROOT, "packages/format/src"));
    const g = importGraph(files);
    const edges = (f: string) => (g.get(path.join(REPO_ROOT, "packages/format/src", f)) ?? []).map((d) => path.relative(path.join(REPO_ROOT, "packages/format/src"), d));
    expect(edges("platform.ts")).toContain("zarr/key-store.ts"); // import type
    expect(edges("zarr/index.ts")).toContain("zarr/stores.ts"); // export { ... } from
  });

  it("has no cycle", () => {
    const files = readdirSync(path.join(REPO_ROOT, "packages")).flatMap((p) => tsFiles(path.join(REPO_ROOT, "packages", p, "src")));
    expect(files.length).toBeGreaterThan(150);
    const cycle = findCycle(importGraph(files));
    expect(cycle?.map((f) => path.relative(REPO_ROOT, f)).join(" -> ") ?? null).toBeNull();
  });
});
