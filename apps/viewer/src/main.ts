// The viewer page: opens a dataset by URL (?url= or the field), shows its
// summary, the virtualised grid, the channel picker, filter / group by obs
// and the detail of one cell.
import { float16ToFloat32, maskChannels, OBS_COLUMNS } from "@cellfolio/format";
import { type Dataset, openDataset } from "@cellfolio/lazy";
import { CellCache, DEFAULT_BUDGET, plural, readError } from "./cache.js";
import { ChannelControls } from "./display.js";
import { downloadBlob } from "./download.js";
import { Embedding } from "./embedding.js";
import { escapeHtml, Grid } from "./grid.js";
import { Labeller } from "./labels.js";
import { lmdExport } from "./lmd.js";
import { applyFilter, distinct, type Filter, groupRows, isNumeric, NA, showValue, sortRows } from "./obs.js";
import { cellCanvas, type Display, OUTLINE_COLORS } from "./render.js";
import { contactSheet, downloadPng } from "./sheet.js";
import { SlideView } from "./slide.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * Bytes of decoded cells held for drawing (all channels of each; least
 * recently used dropped first, never those in view): ?cacheMB= to change.
 */
const BUDGET = (() => {
  const mb = Number(new URLSearchParams(location.search).get("cacheMB"));
  return mb > 0 ? mb * 2 ** 20 : DEFAULT_BUDGET;
})();

/**
 * Web Workers that decode the thumbnails' chunks (?decodeWorkers=N; default
 * 0, the page's thread): they did not pay for the grid (64 cells a read,
 * bench/browser-thumbnails.mjs on 2 cores): lzf and blosc-lz4 decode in a
 * few ms of a read's ~30-45, the rest is fetching and converting, and the
 * round trips cost more than the decode they take off this thread.
 */
const DECODE_WORKERS = (() => {
  const v = new URLSearchParams(location.search).get("decodeWorkers");
  return v !== null && Number(v) >= 0 ? Number(v) : 0;
})();

interface State {
  ds: Dataset;
  held: CellCache;
  /** Rows whose last read failed. */
  failed: Set<number>;
  masks: number[];
  shown: number[];
  selected: Set<number>;
  detailRow: number | null;
}

let state: State | null = null;
let grid: Grid | null = null;
let labeller: Labeller | null = null;
let slideView: SlideView | null = null;
const chans = new ChannelControls($("chan-limits"), () => redrawAll());
const embedding = new Embedding($("embedding"), {
  cellId: (r) => state?.ds.cellIds[r] ?? r,
  selectionChanged: () => refresh(),
  thumb: async (r) => {
    const s = state;
    if (!s) return null;
    if (!s.held.has(r)) await fetchRows([r]);
    const d = s.held.get(r);
    return d ? cellCanvas(d, 0, s.ds.imageSize, display()) : null;
  },
  pick: (r) => void showDetail(r),
});

function status(msg: string, error = false): void {
  const el = $("status");
  el.textContent = msg;
  el.title = msg; // long errors are cut on screen
  el.className = error ? "error" : "";
}

function display(): Display {
  const mode = (document.querySelector('input[name="mode"]:checked') as HTMLInputElement).value;
  const rgb = mode === "rgb";
  const sel = (id: string) => Number(($(id) as HTMLSelectElement).value);
  // the first mask (the nucleus) drawn last: on top where the outlines meet
  const outlines = ($("outlines") as HTMLInputElement).checked && state ? state.masks.map((channel, i) => ({ channel, color: OUTLINE_COLORS[i % OUTLINE_COLORS.length] })).reverse() : [];
  return { rgb, channels: rgb ? [sel("ch-r"), sel("ch-g"), sel("ch-b")] : [sel("ch-grey")], outlines, gain: Number(($("gain") as HTMLInputElement).value), limits: chans.limits, mix: mode === "mix" ? chans.mix() : undefined };
}

async function open(url: string): Promise<void> {
  const abs = new URL(url, location.href).href;
  // the field shows what is being opened, and keeps it if that fails
  ($("url") as HTMLInputElement).value = url;
  status(`opening ${abs} …`);
  document.body.dataset.state = "opening";
  const t0 = performance.now();
  await state?.ds.close().catch(() => {});
  state = null;
  const ds = await openDataset(abs, { eager: false, cacheBytes: 128 * 2 ** 20, concurrency: 16, decodeWorkers: DECODE_WORKERS });
  await ds.load();
  const names = ds.channelNames;
  const mapping = maskChannels(names, ds.info.channelMapping);
  const masks = names.map((_, i) => i).filter((i) => mapping[i]);
  const images = names.map((_, i) => i).filter((i) => !mapping[i]);
  const held = new CellCache(BUDGET, (r) => (grid?.inView(r) ?? false) || state?.detailRow === r);
  state = { ds, held, failed: new Set(), masks, shown: [], selected: new Set(), detailRow: null };
  labeller?.attach(ds, abs);
  void slideView?.attach(ds);
  summary(ds, mapping);
  channelPicker(names, mapping, images);
  chans.reset(names, images);
  obsControls(ds);
  const u = new URL(location.href);
  u.searchParams.set("url", url);
  history.replaceState(null, "", u);
  ($("url") as HTMLInputElement).value = url;
  grid ??= new Grid($("grid"), {
    get size() {
      return state?.ds.imageSize ?? 64;
    },
    display,
    cell: (r) => {
      const data = state?.held.get(r);
      return data && { data, offset: 0 };
    },
    fetch: fetchRows,
    onError: (err, rows) => readFailed(err, rows),
    failed: (r) => state?.failed.has(r) ?? false,
    cellId: (r) => state?.ds.cellIds[r] ?? r,
    isSelected: (r) => state?.selected.has(r) ?? false,
    isCurrent: (r) => state?.detailRow === r,
    onClick: (r, ev) => (ev.ctrlKey || ev.metaKey || ev.shiftKey ? toggle(r) : showDetail(r)),
    badge: (r) => labeller?.badge(r),
  });
  refresh();
  // the embedding (a million rows of obsm is a few MB) loads after the grid is up
  embedding.open(ds).catch((err) => status(`embedding: ${readError(err, null)}`, true));
  document.body.dataset.state = "open";
  status(`${plural(ds.nCells, "cell")} · opened in ${Math.round(performance.now() - t0)} ms`);
}

async function fetchRows(rows: number[], signal?: AbortSignal): Promise<void> {
  const s = state;
  if (!s) return;
  // dropped before it starts if the rows went out of view while it waited
  if (signal?.aborted) throw new DOMException("out of view", "AbortError");
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const [, C, S] = s.ds.shape;
  const per = C * S * S;
  let runs = (await readRuns(s.ds, sorted).catch(() => null)) ?? null;
  if (!runs) {
    // where each cell is a chunk of its own, the decoded cells held here are
    // the cache: keeping the chunks too would hold every cell twice. (Also the
    // way a failed run is read again: its error names the chunk and the URL.)
    const cells = await s.ds.getCells(sorted, { cache: s.ds.chunks[0] > 1 });
    runs = [{ start: 0, rows: sorted, data: cells.data as Float32Array }];
  }
  if (state !== s) return; // another dataset opened meanwhile
  if (!chans.ready) {
    const first = runs[0];
    chans.init(
      first.rows.map((_, i) => first.data.subarray(i * per, (i + 1) * per)),
      S,
    );
  }
  // a copy a cell: dropping one from the cache frees it
  for (const run of runs) {
    run.rows.forEach((r, i) => {
      s.held.set(r, run.data.slice(i * per, (i + 1) * per));
    });
  }
  for (const r of sorted) s.failed.delete(r);
  const g = $("grid");
  g.dataset.heldCells = String(s.held.size);
  g.dataset.heldBytes = String(s.held.bytes);
}

/**
 * Runs of consecutive rows, one block read each, as float32: a sharded Zarr
 * store fetches neighbouring cells of a shard in one range request (a line
 * of thumbnails: one request instead of one a cell). Null where this does
 * not apply (chunks of several cells: the chunk cache serves those better).
 */
async function readRuns(ds: Dataset, sorted: number[]): Promise<{ start: number; rows: number[]; data: Float32Array }[] | null> {
  if (ds.chunks[0] !== 1 || sorted.length < 2) return null;
  const [, C, S] = ds.shape;
  const runs: number[][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === r - 1) last.push(r);
    else runs.push([r]);
  }
  return Promise.all(
    runs.map(async (rows) => {
      const b = await ds.store.readBlock(ds.imagesPath, [rows[0], 0, 0, 0], [rows.length, C, S, S]);
      const d = b.data;
      const data = b.dtype === "float16" ? float16ToFloat32(d as Uint16Array) : d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>, Number);
      return { start: rows[0], rows, data };
    }),
  );
}

/** A read that failed: in the status line with its reason (it stays there until the next message). */
function readFailed(err: unknown, rows: number[] = []): void {
  for (const r of rows) state?.failed.add(r);
  document.body.dataset.readError = "1";
  status(readError(err), true);
  console.error(err);
}

function summary(ds: Dataset, mapping: boolean[]): void {
  const [n, c, S] = ds.shape;
  const bytes = n * c * S * S * (ds.images.dtype === "float16" ? 2 : 4);
  const items: [string, string][] = [
    ["source", ds.source.split("/").filter(Boolean).pop() ?? ds.source],
    ["cells", n.toLocaleString()],
    ["channels", ds.channelNames.map((nm, i) => `${nm}${mapping[i] ? " (mask)" : ""}`).join(", ")],
    ["size", `${S} × ${S} px`],
    ["preset", ds.info.extractionPreset ?? "–"],
    ["stored", `${ds.images.dtype}, chunks ${ds.chunks.join("×")}`],
    ["images", `${(bytes / 2 ** 20).toFixed(1)} MiB`],
  ];
  $("summary-list").innerHTML = items.map(([k, v]) => `<dt>${k}</dt><dd data-key="${k}">${escapeHtml(v)}</dd>`).join("");
}

function channelPicker(names: string[], mapping: boolean[], images: number[]): void {
  const opts = (none: boolean) =>
    (none ? '<option value="-1">—</option>' : "") + names.map((n, i) => `<option value="${i}">${escapeHtml(n)}${mapping[i] ? " (mask)" : ""}</option>`).join("");
  const set = (id: string, v: number, none: boolean) => {
    const el = $(id) as HTMLSelectElement;
    el.innerHTML = opts(none);
    el.value = String(v);
  };
  set("ch-grey", images[0] ?? 0, false);
  set("ch-r", images[1] ?? images[0] ?? -1, true);
  set("ch-g", images[0] ?? -1, true);
  set("ch-b", images[2] ?? -1, true);
}

function obsControls(ds: Dataset): void {
  const cols = Object.keys(ds.obs.columns);
  // each menu says what it is, also once a column is chosen
  const opts = (what: string) => cols.map((c) => `<option value="${escapeHtml(c)}">${what}: ${escapeHtml(c)}</option>`).join("");
  ($("filter-col") as HTMLSelectElement).innerHTML = `<option value="">filter: none</option>${opts("filter")}`;
  ($("group-col") as HTMLSelectElement).innerHTML = `<option value="">group by: none</option>${opts("group by")}`;
  ($("sort-col") as HTMLSelectElement).innerHTML = `<option value="">sort: obs order</option>${opts("sort by")}`;
  $("filter-values").innerHTML = "";
}

/** The filter as the controls set it. */
function currentFilter(): Filter | null {
  const column = ($("filter-col") as HTMLSelectElement).value;
  if (!column) return null;
  const box = $("filter-values");
  // the NA choice (there when some rows are missing): unticked, those rows go
  const missing = !box.querySelector<HTMLInputElement>("input[data-na]:not(:checked)");
  const range = box.querySelectorAll<HTMLInputElement>("input[type=number]");
  if (range.length === 2) return { column, min: Number(range[0].value), max: Number(range[1].value), missing };
  const values = new Set([...box.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked:not([data-na])")].map((i) => i.value));
  return { column, values, missing };
}

function filterControls(): void {
  const s = state;
  const column = ($("filter-col") as HTMLSelectElement).value;
  const box = $("filter-values");
  box.innerHTML = "";
  if (!s || !column) {
    refresh();
    return;
  }
  const { values, missing } = distinct(s.ds.obs, column);
  const na = missing ? `<label><input type="checkbox" data-na value="" checked /> ${NA} <span class="dim">(${missing})</span></label>` : "";
  if (isNumeric(s.ds.obs.columns[column]) && values.length > 24) {
    const lo = Number(values[0].value);
    const hi = Number(values[values.length - 1].value);
    box.innerHTML = `<label>from <input type="number" step="any" value="${lo}" /></label><label>to <input type="number" step="any" value="${hi}" /></label>${na}`;
  } else {
    box.innerHTML =
      values
        .slice(0, 200)
        .map((v) => `<label><input type="checkbox" value="${escapeHtml(v.value)}" checked /> ${escapeHtml(v.value)} <span class="dim">(${v.count})</span></label>`)
        .join("") + na;
  }
  refresh();
}

let everyRow: number[] = [];
/** 0 .. n - 1, made once a dataset (a million rows: not again at each lasso). Read only. */
function allRows(n: number): number[] {
  if (everyRow.length !== n) everyRow = Array.from({ length: n }, (_, i) => i);
  return everyRow;
}

/** Filter, group and lay out the grid again. */
function refresh(): void {
  const s = state;
  if (!s || !grid) return;
  const all = allRows(s.ds.nCells);
  s.shown = applyFilter(all, s.ds.obs, currentFilter());
  embedding.setShown(s.shown);
  s.shown = embedding.filter(s.shown);
  const sortCol = ($("sort-col") as HTMLSelectElement).value;
  if (sortCol) s.shown = sortRows(s.shown, s.ds.obs, sortCol, $("sort-dir").dataset.dir === "desc");
  const gcol = ($("group-col") as HTMLSelectElement).value;
  grid.setGroups(groupRows(s.shown, s.ds.obs, gcol || undefined).map((g) => ({ ...g, label: gcol ? `${gcol} = ${g.label}` : "" })));
  $("shown").textContent = `${s.shown.length.toLocaleString("en-US")} of ${plural(s.ds.nCells, "cell")} shown`;
  $("shown").dataset.count = String(s.shown.length);
  selectionChanged();
}

function toggle(row: number): void {
  const s = state;
  if (!s) return;
  if (s.selected.has(row)) s.selected.delete(row);
  else s.selected.add(row);
  selectionChanged();
}

/** The selected rows the filter shows (what "copy cellID list" copies), and how many selected it hides. */
function shownSelection(s: State): { rows: number[]; hidden: number } {
  if (s.selected.size === 0) return { rows: [], hidden: 0 }; // no set of a million shown rows for nothing
  const shown = new Set(s.shown);
  const rows = [...s.selected].filter((r) => shown.has(r)).sort((a, b) => a - b);
  return { rows, hidden: s.selected.size - rows.length };
}

function selectionChanged(): void {
  const s = state;
  if (!s) return;
  const { rows, hidden } = shownSelection(s);
  const ids = rows.map((r) => s.ds.cellIds[r]);
  const el = $("selected-count");
  el.textContent = `${plural(ids.length, "cell")} selected${hidden ? ` (${plural(hidden, "more", "more")} hidden by the filter)` : ""}`;
  el.dataset.count = String(ids.length);
  el.dataset.hidden = String(hidden);
  ($("id-list") as HTMLTextAreaElement).value = ids.join("\n");
  grid?.redraw();
  embedding.mark(s.detailRow, s.selected);
}

async function showDetail(row: number): Promise<void> {
  const s = state;
  if (!s) return;
  s.detailRow = row;
  grid?.redraw();
  embedding.mark(row, s.selected);
  const ds = s.ds;
  const id = ds.cellIds[row];
  const panel = $("detail");
  panel.hidden = false;
  panel.dataset.cellId = String(id);
  $("detail-title").textContent = `cell ${id}`;
  const { centroidY, centroidX } = OBS_COLUMNS;
  const centroid = (k: string) => showValue(ds.obs, k, row, (v) => v.toFixed(1));
  const rowsHtml = [
    ["cellID", String(id)],
    ["row", String(row)],
    ...(ds.obs.columns[centroidY] && ds.obs.columns[centroidX] ? [["centroid (y, x)", `${centroid(centroidY)}, ${centroid(centroidX)}`]] : []),
    ...Object.keys(ds.obs.columns)
      .filter((k) => ![centroidY, centroidX, ds.cellIdColumn].includes(k))
      .map((k) => [k, showValue(ds.obs, k, row)]),
  ];
  $("detail-obs").innerHTML = rowsHtml.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td data-key="${escapeHtml(k)}">${escapeHtml(v)}</td></tr>`).join("");
  if (!s.held.has(row)) {
    try {
      await fetchRows([row]);
    } catch (err) {
      readFailed(err, [row]);
      return;
    }
  }
  const held = s.held.get(row);
  if (!held || s.detailRow !== row) return;
  const S = ds.imageSize;
  const d = display();
  $("detail-composite").replaceChildren(cellCanvas(held, 0, S, d));
  // every channel at least at its full size (one image pixel a screen pixel)
  $("detail-channels").style.gridTemplateColumns = `repeat(auto-fill, minmax(${Math.max(S, 100)}px, 1fr))`;
  $("detail-channels").replaceChildren(
    ...ds.channelNames.map((name, ch) => {
      const f = document.createElement("figure");
      const c = cellCanvas(held, 0, S, { ...d, rgb: false, mix: undefined, channels: [ch], outlines: [] });
      c.dataset.channel = name;
      const cap = document.createElement("figcaption");
      cap.textContent = name;
      f.append(c, cap);
      return f;
    }),
  );
}

/** Copies the cellIDs of the selected cells the filter shows, one a line, and says how many. */
async function copyIds(): Promise<void> {
  const s = state;
  if (!s) return;
  const { rows, hidden } = shownSelection(s);
  const text = rows.map((r) => String(s.ds.cellIds[r])).join("\n");
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const box = $("id-list") as HTMLTextAreaElement;
    box.value = text;
    box.select();
    document.execCommand("copy");
  }
  status(`copied ${plural(rows.length, "cellID")}${hidden ? ` (not the ${plural(hidden, "selected cell")} hidden by the filter)` : ""}`);
}

function wire(): void {
  document.body.classList.add("mode-grey");
  $("open-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = ($("url") as HTMLInputElement).value.trim();
    if (url) open(url).catch(fail);
  });
  for (const el of document.querySelectorAll('input[name="mode"]')) {
    el.addEventListener("change", () => {
      const mode = (document.querySelector('input[name="mode"]:checked') as HTMLInputElement).value;
      for (const m of ["grey", "rgb", "mix"]) document.body.classList.toggle(`mode-${m}`, m === mode);
      redrawAll();
    });
  }
  for (const id of ["ch-grey", "ch-r", "ch-g", "ch-b", "outlines", "gain"]) $(id).addEventListener("input", redrawAll);
  $("filter-col").addEventListener("change", filterControls);
  $("filter-values").addEventListener("change", refresh);
  $("group-col").addEventListener("change", refresh);
  $("sort-col").addEventListener("change", refresh);
  $("sort-dir").addEventListener("click", () => {
    const el = $("sort-dir");
    el.dataset.dir = el.dataset.dir === "desc" ? "asc" : "desc";
    el.textContent = el.dataset.dir === "desc" ? "↓ desc" : "↑ asc";
    refresh();
  });
  $("auto-contrast").addEventListener("click", () => {
    const s = state;
    if (!s) return;
    const rows = s.shown.filter((r) => grid?.inView(r) && s.held.has(r));
    chans.auto(rows.map((r) => s.held.get(r) as Float32Array), s.ds.imageSize);
  });
  $("lmd-export").addEventListener("click", exportForLmd);
  $("contact-sheet").addEventListener("click", () => void saveSheet().catch((err) => status(readError(err, "contact sheet"), true)));
  $("select-shown").addEventListener("click", () => {
    for (const r of state?.shown ?? []) state?.selected.add(r);
    selectionChanged();
  });
  $("select-none").addEventListener("click", () => {
    state?.selected.clear();
    selectionChanged();
  });
  $("copy-ids").addEventListener("click", () => void copyIds());
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true;
    if (state) state.detailRow = null;
    grid?.redraw();
    if (state) embedding.mark(null, state.selected);
  });
  labeller = new Labeller({
    selectedRows: () => (state ? shownSelection(state).rows : []),
    clearSelection: () => $("select-none").click(),
    detailRow: () => state?.detailRow ?? null,
    next: (row) => {
      const next = state?.shown[state.shown.indexOf(row) + 1];
      if (next !== undefined) void showDetail(next);
    },
    redraw: () => grid?.redraw(),
    status,
    reopen: () => void open(($("url") as HTMLInputElement).value).catch(fail),
  });
  slideView = new SlideView({ open: (row) => void showDetail(row), status });
  // in the detail: arrows step through the cells shown, Escape closes, Space selects
  document.addEventListener("keydown", (ev) => {
    const s = state;
    if ((ev.target as HTMLElement).matches("input, select, textarea")) return;
    if (labeller?.onKey(ev)) return ev.preventDefault();
    if (!s || s.detailRow === null) return;
    const i = s.shown.indexOf(s.detailRow);
    if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      const next = s.shown[i + (ev.key === "ArrowRight" ? 1 : -1)];
      if (next !== undefined) void showDetail(next);
    } else if (ev.key === "Escape") {
      $("detail-close").click();
    } else if (ev.key === " ") {
      toggle(s.detailRow);
    } else return;
    ev.preventDefault();
  });
  const url = new URLSearchParams(location.search).get("url");
  if (url) open(url).catch(fail);
  else status("enter a dataset URL (a .zarr directory or an .h5sc / .h5ad file served over HTTP)");
}

/** The selected cells shown, as the file `cellfolio lmd --cells-file` takes, and the command to run. */
function exportForLmd(): void {
  const s = state;
  if (!s) return;
  const rows = shownSelection(s).rows;
  if (!rows.length) {
    status("export for LMD: select the cells to cut first (ctrl/shift-click, or select shown)", true);
    return;
  }
  const name = s.ds.source.split("/").filter(Boolean).pop() ?? "cells";
  const e = lmdExport(
    rows.map((r) => s.ds.cellIds[r]),
    s.ds.info,
    decodeURIComponent(name.split(/[?#]/)[0]),
  );
  downloadBlob(new Blob([e.text], { type: "text/csv" }), e.fileName);
  const box = $("lmd-command") as HTMLTextAreaElement;
  box.value = e.command;
  box.hidden = false;
  box.dataset.count = String(rows.length);
  status(`${plural(rows.length, "cell")} saved to ${e.fileName}; run the command below the button beside it (with your calibration points)`);
}

/** At most this many cells on a contact sheet. */
const SHEET_MAX = 400;

/**
 * The contact sheet of the selected cells the filter shows (or, with none
 * selected, of the cells shown), in grid order, as a PNG download; each tile
 * captioned with its cellID and its value of the group-by column, else of an
 * obs column named "label".
 */
async function saveSheet(): Promise<void> {
  const s = state;
  if (!s) return;
  const sel = shownSelection(s).rows;
  const picked = new Set(sel);
  const all = sel.length ? s.shown.filter((r) => picked.has(r)) : s.shown;
  const rows = all.slice(0, SHEET_MAX);
  const gcol = ($("group-col") as HTMLSelectElement).value || (s.ds.obs.columns.label ? "label" : "");
  const col = gcol && s.ds.obs.columns[gcol] ? gcol : "";
  status(`contact sheet: reading ${plural(rows.length, "cell")} …`);
  const cells: { id: number; data: Float32Array; label?: string }[] = [];
  for (let k = 0; k < rows.length; k += 64) {
    const part = rows.slice(k, k + 64);
    const want = part.filter((r) => !s.held.has(r));
    if (want.length) await fetchRows(want);
    for (const r of part) {
      const data = s.held.get(r);
      if (!data) throw new Error(`cell ${s.ds.cellIds[r]} could not be read`);
      cells.push({ id: s.ds.cellIds[r], data, label: col ? `${col}: ${showValue(s.ds.obs, col, r)}` : undefined });
    }
  }
  const name = s.ds.source.split("/").filter(Boolean).pop() ?? "cells";
  const sheet = contactSheet(cells, s.ds.imageSize, display(), `${name} · ${plural(cells.length, "cell")}${all.length > rows.length ? ` (first ${rows.length} of ${all.length})` : ""}`);
  sheet.id = "sheet-canvas";
  $("sheet-preview").replaceChildren(sheet);
  await downloadPng(sheet, `${name.replace(/\.[^.]*$/, "")}-sheet-${cells.length}.png`);
  status(`contact sheet of ${plural(cells.length, "cell")} saved`);
}

function redrawAll(): void {
  grid?.redraw();
  if (state?.detailRow != null) void showDetail(state.detailRow);
}

function fail(err: unknown): void {
  document.body.dataset.state = "error";
  status(readError(err, null), true);
  console.error(err);
}

wire();
