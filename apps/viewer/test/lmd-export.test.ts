// "export selection for LMD": the page saves the selected cells as the file
// `cellfolio lmd --cells-file` takes and shows the command, with the mask and
// dataset extract recorded in uns; the command, run as shown (calibration
// filled in), writes the Leica XML with one shape per selected cell.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDataset } from "@cellfolio/lazy";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_DATA } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, CLI, cli, launch, openViewer, serveDataset } from "./harness.js";

const canRun = existsSync(CHROMIUM);
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-lmd-export-"));
const sample = path.join(TEST_DATA, "sample");
const dataset = path.join(tmp, "sample.h5sc");
let browser: Browser;
let page: Page;
let served: Awaited<ReturnType<typeof serveDataset>>;

beforeAll(async () => {
  if (!canRun) return;
  cli(["extract", "--image", `${sample}/image.tif`, "--nucleus", `${sample}/nucleus.tif`, "--cytosol", `${sample}/cytosol.tif`, "--labels", `${sample}/labels.csv`, "--size", "48", "--out", dataset, "--quiet"]);
  served = await serveDataset(dataset, buildViewer());
  browser = await launch();
  page = await openViewer(browser, served.url, { width: 1900, height: 1200 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!canRun)("export selection for LMD", () => {
  it("without a selection says what to do and saves nothing", async () => {
    await page.click("#lmd-export");
    expect(await page.textContent("#status")).toMatch(/select the cells to cut first/);
    expect(await page.isHidden("#lmd-command")).toBe(true);
  });

  it("saves the mitotic cells as a cells file and shows a command that cuts them", async () => {
    const ds = await openDataset(dataset);
    const mitotic = Array.from(ds.cellIds, Number).filter((_, r) => Number(ds.obs.columns.mitotic[r]) === 1);
    await ds.close();
    expect(mitotic.length).toBeGreaterThan(2);
    // filter to the mitotic cells, select what is shown
    await page.selectOption("#filter-col", "mitotic");
    await page.uncheck('#filter-values input[value="0"]');
    expect(await page.getAttribute("#shown", "data-count")).toBe(String(mitotic.length));
    await page.click("#select-shown");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#lmd-export")]);
    expect(download.suggestedFilename()).toBe("sample-lmd-cells.csv");
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines[0]).toBe("cellID");
    expect(lines.slice(1).map(Number).sort((a, b) => a - b)).toEqual([...mitotic].sort((a, b) => a - b));

    const command = await page.inputValue("#lmd-command");
    expect(command).toContain(`--mask ${path.join(sample, "cytosol.tif")}`);
    expect(command).toContain("--dataset sample.h5sc");
    expect(command).toContain("--cells-file sample-lmd-cells.csv");
    // run it as a user would, beside the files, with calibration points filled in and --json added
    const args = command
      .replace(/\\\n\s*/g, "")
      .replace("x1,y1 x2,y2 x3,y3", "0,0 0,511 511,255")
      .split(/\s+(?=--)/)
      .flatMap((part) => {
        const m = /^(--[\w-]+)\s*(.*)$/.exec(part.trim());
        return m ? [m[1], ...(m[2] ? [m[2].replace(/^"(.*)"$/, "$1")] : [])] : [];
      });
    const r = spawnSync(process.execPath, [CLI, "lmd", ...args, "--no-join", "--json"], { cwd: tmp, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const xml = readFileSync(path.join(tmp, "sample-cut.xml"), "utf8");
    expect(/<ShapeCount>(\d+)<\/ShapeCount>/.exec(xml)?.[1]).toBe(String(mitotic.length));
  });
});
