// The packages as a registry user gets them: `npm pack` of each published
// workspace package into a temp folder, and installs of those tarballs into
// fresh folders outside the workspace (no workspace links, no repo paths).
//
//   const packed = packAll();                          // builds first if a dist is missing
//   const dir = installTarballs(tarballsFor(packed, "@cellfolio/lazy"));
//   // dir/node_modules/@cellfolio/lazy, resolved as in any user's project
//
// Installs use --prefer-offline: packages already in npm's cache (all of ours
// are after `npm ci` in the repo) are taken from it without asking the
// registry; our own packages come from the tarball files, so nothing needs
// publishing. Everything lands under the OS temp folder; callers remove it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./oracle.js";

/** The published packages, each after the ones it depends on. */
export const PUBLISHED = ["@cellfolio/codecs", "@cellfolio/hdf5", "@cellfolio/format", "@cellfolio/lazy", "@cellfolio/extract", "@cellfolio/cli"] as const;
export type PackageName = (typeof PUBLISHED)[number];

/** Each package's workspace folder. */
export const PACKAGE_DIRS: Record<PackageName, string> = Object.fromEntries(PUBLISHED.map((n) => [n, path.join(REPO_ROOT, "packages", n.slice("@cellfolio/".length))])) as Record<PackageName, string>;

export interface Packed {
  name: PackageName;
  version: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Paths inside the tarball (without the leading `package/`), sorted. */
  files: string[];
  /** Bytes of the files unpacked. */
  unpackedSize: number;
}

/** What the builds leave (the cli's includes the viewer page it ships); missing means build. */
const BUILT = [...PUBLISHED.map((n) => path.join(PACKAGE_DIRS[n], "dist/index.js")), path.join(PACKAGE_DIRS["@cellfolio/cli"], "dist/viewer/index.html")];

const npm = (args: string[], cwd: string): string =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: "false" } });

/**
 * Packs every published package into `dest` (default: a new temp folder) with one
 * `npm pack`. Builds with turbo only when a package's dist is missing: a stale
 * dist is packed as it is (run `npm run build` after changing sources).
 */
export function packAll(dest = mkdtempSync(path.join(tmpdir(), "cellfolio-packed-"))): Record<PackageName, Packed> {
  if (!BUILT.every((f) => existsSync(f))) execFileSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: REPO_ROOT, stdio: "pipe" });
  const out = npm(["pack", ...PUBLISHED.flatMap((n) => ["-w", n]), "--pack-destination", dest, "--json", "--silent"], REPO_ROOT);
  const list = JSON.parse(out) as { name: PackageName; version: string; filename: string; files: { path: string }[]; unpackedSize: number }[];
  const packed = {} as Record<PackageName, Packed>;
  for (const p of list) {
    packed[p.name] = { name: p.name, version: p.version, tarball: path.join(dest, p.filename), files: p.files.map((f) => f.path).sort(), unpackedSize: p.unpackedSize };
  }
  for (const n of PUBLISHED) if (!packed[n]) throw new Error(`npm pack gave no tarball for ${n}`);
  return packed;
}

/** The tarballs a package needs installed from files: itself and the @cellfolio packages it depends on, all the way down. */
export function tarballsFor(packed: Record<PackageName, Packed>, name: PackageName): string[] {
  const need = new Set<PackageName>();
  const add = (n: PackageName) => {
    if (need.has(n)) return;
    need.add(n);
    const deps = JSON.parse(readFileSync(path.join(PACKAGE_DIRS[n], "package.json"), "utf8")).dependencies ?? {};
    for (const d of Object.keys(deps)) if (d.startsWith("@cellfolio/")) add(d as PackageName);
  };
  add(name);
  return PUBLISHED.filter((n) => need.has(n)).map((n) => packed[n].tarball);
}

const INSTALL_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

/**
 * `npm install` of the given tarballs (and any other specs, e.g. "vite@8") into
 * `dir` (default: a new temp folder with an empty private package.json).
 * Returns the folder: its node_modules is what a user's project would hold.
 */
export function installTarballs(tarballs: string[], dir = mkdtempSync(path.join(tmpdir(), "cellfolio-install-"))): string {
  if (!existsSync(path.join(dir, "package.json"))) writeFileSync(path.join(dir, "package.json"), '{ "name": "cellfolio-install-check", "private": true }\n');
  npm(["install", ...INSTALL_FLAGS, ...tarballs], dir);
  return dir;
}

/**
 * `npm install -g --prefix <prefix>` of the given tarballs, as a user installs
 * the command. Returns the prefix: commands in <prefix>/bin, packages in
 * <prefix>/lib/node_modules.
 */
export function installGlobal(tarballs: string[], prefix = mkdtempSync(path.join(tmpdir(), "cellfolio-global-"))): string {
  npm(["install", "-g", "--prefix", prefix, ...INSTALL_FLAGS, ...tarballs], tmpdir());
  return prefix;
}
