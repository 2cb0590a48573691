// What the browser tests share: the built viewer, Debian's chromium driven by
// playwright-core, and the `cellfolio view` server with its requests logged.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { serve } from "../../../packages/cli/src/serve.js";
import { REPO_ROOT } from "../../../test-utils/oracle.js";

export const VIEWER = path.join(REPO_ROOT, "apps/viewer");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const RESULTS = path.join(VIEWER, "test-results");
export const CLI = path.join(REPO_ROOT, "packages/cli/dist/bin.js");

/** Builds the viewer as `turbo run build` does (vite build into apps/viewer/dist). */
export function buildViewer(): string {
  // as `npm run build` builds it (vitest's NODE_ENV=test changes what rolldown emits: another page than the one the CLI ships)
  execFileSync(path.join(REPO_ROOT, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], { cwd: VIEWER, stdio: "pipe", env: { ...process.env, NODE_ENV: "production" } });
  return path.join(VIEWER, "dist");
}

/** The cellfolio CLI as built (built here if missing). */
export function cli(args: string[]): string {
  if (!existsSync(CLI)) execFileSync(path.join(REPO_ROOT, "node_modules/.bin/tsup"), [], { cwd: path.join(REPO_ROOT, "packages/cli"), stdio: "pipe" });
  return execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface Logged {
  path: string;
  range?: string;
  status: number;
}

/** `cellfolio view`'s server; `open`: a path inside the dataset's directory that the page opens instead (see ServeOptions). */
export async function serveDataset(dataset: string, viewerDir: string, open?: string) {
  const log: Logged[] = [];
  const served = await serve({ dataset, viewerDir, open, onRequest: (r) => log.push({ path: r.path, range: r.range, status: r.status }) });
  return { ...served, log };
}

/** A new page of `viewport` size at `url`, once the viewer says the dataset is open. */
export async function openViewer(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(url);
  await page.waitForSelector("body[data-state=open]", { timeout: 30_000 });
  return page;
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

/** The cellIDs of the thumbnails in the DOM, line by line. */
export function gridIds(page: Page): Promise<number[][]> {
  return page.$$eval(".line", (els) =>
    els
      .sort((a, b) => Number.parseFloat((a as HTMLElement).style.top) - Number.parseFloat((b as HTMLElement).style.top))
      .map((e) => ((e as HTMLElement).dataset.cellIds ?? "").split(",").filter(Boolean).map(Number)),
  );
}

/** RGBA of a canvas (sent as base64: a plain array of a row of thumbnails is slow to pass). */
export async function canvasPixels(page: Page, selector: string): Promise<Uint8Array> {
  const b64 = await page.$eval(selector, (c) => {
    const cv = c as HTMLCanvasElement;
    const d = (cv.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, cv.width, cv.height).data;
    let s = "";
    for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return new Uint8Array(Buffer.from(b64, "base64"));
}
