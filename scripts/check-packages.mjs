// Lints the published packages as they would be published: packs each one
// (npm pack) and runs publint (--strict: warnings fail too) and
// arethetypeswrong on the tarball.
//
//   node scripts/check-packages.mjs              # packs the built packages (npm run build first)
//   node scripts/check-packages.mjs a.tgz b.tgz  # checks tarballs already packed
//
// arethetypeswrong runs with --profile esm-only: the packages are ES modules
// only (no CommonJS build), so TypeScript's node10 and node16-from-CommonJS
// resolutions, which cannot load an ES module, are not a target. The node16
// (from ESM) and bundler resolutions are checked and must be clean. Node itself
// can require() them from 20.19 on; a test checks that separately.
// Exits 1 if any check fails; one line per package and check.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "node_modules/.bin");
export const PUBLISHED = ["@cellfolio/codecs", "@cellfolio/hdf5", "@cellfolio/format", "@cellfolio/lazy", "@cellfolio/extract", "@cellfolio/cli"];

function pack() {
  const dest = mkdtempSync(path.join(tmpdir(), "cellfolio-check-"));
  const out = execFileSync("npm", ["pack", ...PUBLISHED.flatMap((n) => ["-w", n]), "--pack-destination", dest, "--json", "--silent"], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out).map((p) => path.join(dest, p.filename));
}

const tarballs = process.argv.length > 2 ? process.argv.slice(2).map((t) => path.resolve(t)) : pack();
let failed = 0;
for (const tarball of tarballs) {
  const name = path.basename(tarball);
  const checks = [
    ["publint --strict", path.join(BIN, "publint"), ["run", tarball, "--strict"]],
    ["attw --profile esm-only", path.join(BIN, "attw"), [tarball, "--profile", "esm-only", "--format", "ascii"]],
  ];
  for (const [what, cmd, args] of checks) {
    const res = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    const ok = res.status === 0;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${what}`);
    if (!ok) console.log(`${res.stdout}${res.stderr}`.replace(/^/gm, "     "));
  }
}
console.log(failed ? `${failed} check(s) failed` : `all ${tarballs.length * 2} checks passed`);
process.exit(failed ? 1 : 0);
