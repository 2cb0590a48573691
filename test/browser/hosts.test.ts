// Ordinary static hosts, from the browser, through the installed packages:
// (1) a server with CORS that does not list Content-Range in
// Access-Control-Expose-Headers (http-server's default: the browser hides the
// header, so the file size must come from elsewhere, e.g. the HDF5
// superblock); (2) a server that answers suffix ranges (`bytes=-N`, what a
// shard index read asks) with 200 and the whole file. We want the
// correct values (or, where the format cannot do without, one clear error):
// these fixtures are small (shards of 80 KB), so correct values are expected.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtures } from "../../packages/lazy/test/fixtures.js";
import { hasZarr3 } from "../../test-utils/oracle.js";
import { DATASETS, expectSameRead, readArgs, truth } from "./datasets.js";
import { BROWSER_PACKAGES, bundlePages, bundlers, CHROMIUM, type Host, installPacked, launch, openPage, staticServer } from "./harness.js";
import { readDataset, runInPage } from "./scripts.js";

const canRun = existsSync(CHROMIUM) && hasZarr3();
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-hosts-"));
const DATA = path.join(tmp, "data");

let app: string;
let browser: Browser;
let page: Page;
let node: { lazy: any; format: any };
const hosts: Record<string, Host> = {};
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!canRun) return;
  app = installPacked(BROWSER_PACKAGES, bundlers());
  const bundled = bundlePages(app);
  if (bundled.esbuildStatus !== 0) throw new Error(`esbuild failed:\n${bundled.esbuildLog}`);
  writeFileSync(path.join(app, "node-entry.js"), `export * as lazy from "@cellfolio/lazy";\nexport * as format from "@cellfolio/format";\n`);
  node = await import(pathToFileURL(path.join(app, "node-entry.js")).href);
  makeFixtures(DATA);
  hosts.pages = await staticServer(bundled.esbuild);
  hosts.noExpose = await staticServer(DATA, { exposeHeaders: false });
  hosts.suffix200 = await staticServer(DATA, { range: "suffix-200" });
  browser = await launch();
  page = await openPage(browser, `${hosts.pages.url}/read.html`, pageErrors);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const h of Object.values(hosts)) await h.close();
  rmSync(tmp, { recursive: true, force: true });
  if (app) rmSync(app, { recursive: true, force: true });
});

const SERVERS = [
  { key: "noExpose", what: "CORS without Access-Control-Expose-Headers (Content-Range hidden from the page)" },
  { key: "suffix200", what: "suffix ranges (bytes=-N) answered with 200 and the whole file" },
];

for (const server of SERVERS) {
  describe.skipIf(!canRun)(`a static server with ${server.what}`, () => {
    for (const name of Object.keys(DATASETS)) {
      it(`${name}: cells by cellID and a shuffled batch equal Node's and Python's`, async () => {
        const t = await truth(node.lazy, DATA, name);
        const h = hosts[server.key];
        const before = h.log.length;
        let got: Awaited<ReturnType<typeof readDataset>>;
        try {
          got = await runInPage(page, readDataset, readArgs(t.node.cellIds, `${h.url}/${DATASETS[name]}`), 30_000);
        } finally {
          const log = h.log.slice(before);
          const suffix = log.filter((r) => r.range?.startsWith("bytes=-"));
          console.log(
            `[${server.key}] ${name}: ${log.length} requests, ${suffix.length} suffix ranges (answered ${[...new Set(suffix.map((r) => r.status))].join(", ") || "-"})`,
          );
        }
        expectSameRead(got, t, node.format.float16ToFloat32);
        expect(pageErrors).toEqual([]);
      });
    }
  });
}
