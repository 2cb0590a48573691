// The committed bin file npm links as `cellfolio`: it runs the built command
// with its exit codes, and without a build says how to make one.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test-utils/oracle.js";

const CLI = path.join(REPO_ROOT, "packages/cli");
const BIN = path.join(CLI, "bin/cellfolio.js");
const pkg = JSON.parse(readFileSync(path.join(CLI, "package.json"), "utf8"));
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-bin-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("packages/cli/bin/cellfolio.js", () => {
  it("is what package.json publishes and links as the cellfolio command, an executable node script", () => {
    expect(pkg.bin).toEqual({ cellfolio: "./bin/cellfolio.js" });
    expect(pkg.files).toContain("bin");
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(BIN).mode & 0o111).toBe(0o111);
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    expect(lock.packages["packages/cli"].bin).toEqual({ cellfolio: "bin/cellfolio.js" });
  });

  it("runs the built command: --version prints the package's version, exit codes pass through", () => {
    expect(run(BIN, "--version")).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    const unknown = run(BIN, "no-such-command");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cellfolio: unknown command "no-such-command"/);
    const missing = run(BIN, "validate", path.join(tmp, "absent.h5sc"));
    expect(missing.code).toBe(1);
  });

  it("without dist/ it says to build first and exits 1", () => {
    const copy = path.join(tmp, "cli", "bin", "cellfolio.js");
    mkdirSync(path.dirname(copy), { recursive: true });
    copyFileSync(BIN, copy);
    const r = run(copy, "--version");
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: `cellfolio: the command is not built yet (${path.join(tmp, "cli", "dist", "bin.js")} is missing): run npm run build first, from the repository root\n`,
    });
  });
});
