// The six packages as `npm pack` makes them: what each tarball holds, what
// each package.json declares, publint (strict) and arethetypeswrong on every
// tarball, and @cellfolio/lazy installed alone from its tarballs into a fresh
// folder: which packages come with it, their size, and require() from CommonJS.
import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../test-utils/oracle.js";
import { installTarballs, PACKAGE_DIRS, type PackageName, type Packed, PUBLISHED, packAll, tarballsFor } from "../test-utils/packed.js";

let packed: Record<PackageName, Packed>;
const cleanup: string[] = [];

beforeAll(() => {
  packed = packAll();
  cleanup.push(path.dirname(packed["@cellfolio/lazy"].tarball));
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const pkgJson = (name: PackageName) => JSON.parse(readFileSync(path.join(PACKAGE_DIRS[name], "package.json"), "utf8"));

/** Every file path an exports map names (conditions nested at any depth). */
function exportTargets(exp: unknown): string[] {
  if (typeof exp === "string") return [exp];
  if (exp && typeof exp === "object") return Object.values(exp).flatMap(exportTargets);
  return [];
}

/** Bare module specifiers a built file imports (static, side-effect and dynamic with a literal). */
function importedPackages(code: string): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'./][^"']*)["']/g)) {
    const spec = m[1];
    if (spec.startsWith("node:")) continue;
    const parts = spec.split("/");
    out.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
  }
  return out;
}

/** Node built-ins that tsup writes without the node: prefix. */
const BUILTINS = new Set(["fs", "fs/promises", "path", "os", "url", "util", "zlib", "crypto", "worker_threads", "module", "child_process", "http", "stream", "events", "readline", "tty", "process", "buffer", "assert", "perf_hooks"]);

describe("npm pack", () => {
  it.each(PUBLISHED)("%s holds package.json, README.md, LICENSE and dist (js, maps, d.ts), nothing else", (name) => {
    const { files } = packed[name];
    const pkg = pkgJson(name);
    for (const f of ["package.json", "README.md", "LICENSE"]) expect(files).toContain(f);
    const others = files.filter((f) => !["package.json", "README.md", "LICENSE"].includes(f));
    const allowed = (f: string) =>
      /^dist\/[\w./-]+\.(js|js\.map|d\.ts)$/.test(f) || (name === "@cellfolio/cli" && (/^dist\/viewer\//.test(f) || f === "bin/cellfolio.js"));
    expect(others.filter((f) => !allowed(f))).toEqual([]);
    // every entry a resolver or npm can be sent to is in the tarball
    const targets = [...exportTargets(pkg.exports), pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})].filter(Boolean) as string[];
    for (const t of targets) expect(files, t).toContain(path.posix.normalize(t));
    // a map beside every script, with the sources inside (no src/ shipped)
    for (const js of others.filter((f) => f.startsWith("dist/") && f.endsWith(".js") && !f.startsWith("dist/viewer/"))) expect(files).toContain(`${js}.map`);
    // the sideEffects list names real files
    for (const s of pkg.sideEffects) expect(files).toContain(path.posix.normalize(s));
  });

  it("the cli ships the viewer's built page", () => {
    const { files } = packed["@cellfolio/cli"];
    expect(files).toContain("dist/viewer/index.html");
    expect(files.some((f) => /^dist\/viewer\/assets\/.+\.js$/.test(f))).toBe(true);
    const html = readFileSync(path.join(PACKAGE_DIRS["@cellfolio/cli"], "dist/viewer/index.html"), "utf8");
    expect(html).toBe(readFileSync(path.join(REPO_ROOT, "apps/viewer/dist/index.html"), "utf8"));
  });
});

describe("package.json", () => {
  it.each(PUBLISHED)("%s: metadata a registry user expects, internal dependencies pinned to the release", (name) => {
    const pkg = pkgJson(name);
    const dir = path.relative(REPO_ROOT, PACKAGE_DIRS[name]);
    expect(pkg.license).toBe("MIT");
    expect(pkg.type).toBe("module");
    expect(pkg.repository).toEqual({ type: "git", url: "git+https://github.com/cellfolio/cellfolio.git", directory: dir });
    expect(pkg.homepage).toBe(`https://github.com/cellfolio/cellfolio/tree/main/${dir}#readme`);
    expect(pkg.bugs).toEqual({ url: "https://github.com/cellfolio/cellfolio/issues" });
    expect(pkg.keywords.length).toBeGreaterThan(2);
    expect(pkg.engines.node).toBe(">=20.19.0");
    expect(pkg.exports["./package.json"]).toBe("./package.json");
    for (const [spec, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (spec.startsWith("@cellfolio/")) expect(v, spec).toBe(pkgJson(spec as PackageName).version);
    }
  });

  it.each(PUBLISHED)("%s declares exactly the packages its dist imports", (name) => {
    const pkg = pkgJson(name);
    const code: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) {
          if (e.name !== "viewer") walk(f);
        } else if (e.name.endsWith(".js")) code.push(readFileSync(f, "utf8"));
      }
    };
    walk(path.join(PACKAGE_DIRS[name], "dist"));
    const imported = new Set(code.flatMap((c) => [...importedPackages(c)]));
    for (const b of BUILTINS) imported.delete(b);
    const declared = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
    expect([...imported].filter((u) => !declared.includes(u)), "imported but not declared").toEqual([]);
    // optional peers are imported through a variable (so bundlers leave them
    // alone): a declared package counts as used when its name is a string in the code
    const named = (d: string) => code.some((c) => c.includes(`"${d}"`) || c.includes(`"${d}/`));
    // a dependency may also be there to provide an optional peer of one of ours
    // (the cli installs numcodecs for format's zstd writing)
    const peersOfOurs = new Set(
      Object.keys(pkg.dependencies ?? {})
        .filter((d) => d.startsWith("@cellfolio/"))
        .flatMap((d) => Object.keys(pkgJson(d as PackageName).peerDependencies ?? {})),
    );
    expect(declared.filter((d) => !imported.has(d) && !named(d) && !peersOfOurs.has(d)), "declared but never imported").toEqual([]);
  });
});

it("publint (strict) and arethetypeswrong (esm-only) pass for every tarball", () => {
  const res = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/check-packages.mjs"), ...PUBLISHED.map((n) => packed[n].tarball)], { encoding: "utf8" });
  expect(res.stdout, res.stdout + res.stderr).toContain("all 12 checks passed");
  expect(res.status).toBe(0);
}, 300_000);

describe("@cellfolio/lazy installed alone from the tarballs", () => {
  let dir: string;
  beforeAll(() => {
    dir = installTarballs(tarballsFor(packed, "@cellfolio/lazy"));
    cleanup.push(dir);
  });

  /** Bytes of every file under a folder (as installed, not disk blocks). */
  const bytes = (d: string): number => {
    let n = 0;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      n += e.isDirectory() ? bytes(f) : lstatSync(f).size;
    }
    return n;
  };
  const installed = () => {
    const nm = path.join(dir, "node_modules");
    return readdirSync(nm)
      .filter((e) => !e.startsWith("."))
      .flatMap((e) => (e.startsWith("@") ? readdirSync(path.join(nm, e)).map((s) => `${e}/${s}`) : [e]))
      .sort();
  };

  it("brings only its own packages and fzstd: no h5wasm, no numcodecs (optional peers)", () => {
    expect(installed()).toEqual(["@cellfolio/codecs", "@cellfolio/format", "@cellfolio/hdf5", "@cellfolio/lazy", "fzstd"]);
  });

  it("takes under 2 MB of node_modules", () => {
    const nm = path.join(dir, "node_modules");
    const sizes = Object.fromEntries(installed().map((p) => [p, bytes(path.join(nm, p))]));
    const ours = installed()
      .filter((p) => p.startsWith("@cellfolio/"))
      .reduce((s, p) => s + sizes[p], 0);
    const total = bytes(nm);
    console.log(`@cellfolio/lazy installed: ${(total / 1e6).toFixed(2)} MB (${Object.entries(sizes).map(([p, s]) => `${p} ${(s / 1e6).toFixed(2)}`).join(", ")})`);
    expect(ours).toBeLessThan(total);
    expect(total).toBeLessThan(2_000_000);
  });

  it("require() works from CommonJS for every entry (ES modules without top-level await)", () => {
    const names: string[] = [];
    // entries run for what they do on load (a Web Worker's script, listed in
    // sideEffects): required too, but they export nothing by design
    const scripts: string[] = [];
    for (const p of installed().filter((n) => n.startsWith("@cellfolio/"))) {
      const pkg = JSON.parse(readFileSync(path.join(dir, "node_modules", p, "package.json"), "utf8"));
      names.push(p);
      const effects = new Set((Array.isArray(pkg.sideEffects) ? pkg.sideEffects : []).map((f: string) => path.normalize(f)));
      // every entry file the exports map names, the browser core too
      for (const t of exportTargets(pkg.exports).filter((t) => t.endsWith(".js"))) {
        const file = path.join(dir, "node_modules", p, t);
        names.push(file);
        if (effects.has(path.normalize(t))) scripts.push(file);
      }
    }
    const script = `const scripts = new Set(${JSON.stringify(scripts)}); for (const n of ${JSON.stringify(names)}) { const m = require(n); if (Object.keys(m).length === 0 && !scripts.has(n)) throw new Error(n + ": no exports"); } console.log("required " + ${names.length});`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out.trim()).toBe(`required ${names.length}`);
    // the plain call from the task, resolved by package name through the node condition
    const lazy = execFileSync(process.execPath, ["-e", 'const l = require("@cellfolio/lazy"); console.log(typeof l.openDataset)'], { cwd: dir, encoding: "utf8" });
    expect(lazy.trim()).toBe("function");
  });
});
