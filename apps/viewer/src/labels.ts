// Labelling cells for training: keys 1-9 give a class to the selected cells,
// else to the cell open in the detail (which then steps to the next cell
// shown), else to the cell under the pointer; 0 removes the label. Labels are
// keyed by cellID and kept in localStorage per dataset URL, so a reload keeps
// them. When `cellfolio view --annotate` served the page (its URL carries
// `#annotate=TOKEN`), they can be saved to the dataset as an obs column or to
// the CSV beside it.

import type { Dataset } from "@cellfolio/lazy";
import { downloadBlob } from "./download.js";
import { GAP, LABEL } from "./grid.js";
import "./labels.css";

export const N_CLASSES = 9;
/** A colour a class, distinct on the dark page and on bright cells. */
export const CLASS_COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4"];

/** What the labeller needs of the page. */
export interface LabelHost {
  selectedRows(): number[];
  clearSelection(): void;
  detailRow(): number | null;
  /** Opens the next cell shown after `row` in the detail (if any). */
  next(row: number): void;
  redraw(): void;
  status(msg: string, error?: boolean): void;
  /** Opens the dataset again (after the server rewrote it). */
  reopen(): void;
}

interface Saved {
  column: string;
  names: string[];
  labels: [number, number][];
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class Labeller {
  private ds: Dataset | null = null;
  private key = "";
  /** cellID -> class (0-based). */
  private labels = new Map<number, number>();
  private rowOf = new Map<number, number>();
  private hovered: number | null = null;
  /** The annotate token (from the URL's fragment), if the server takes saves. */
  readonly token: string | null;

  constructor(private readonly host: LabelHost) {
    this.token = new URLSearchParams(location.hash.slice(1)).get("annotate");
    this.mount();
  }

  /** A dataset opened: its labels from localStorage. */
  attach(ds: Dataset, url: string): void {
    this.ds = ds;
    this.key = `cellfolio-labels:${url}`;
    this.rowOf = new Map(ds.cellIds.map((id, r) => [id, r]));
    this.labels = new Map();
    let saved: Partial<Saved> = {};
    try {
      saved = JSON.parse(localStorage.getItem(this.key) ?? "{}") as Partial<Saved>;
    } catch {}
    for (const [id, k] of saved.labels ?? []) if (this.rowOf.has(id) && k >= 0 && k < N_CLASSES) this.labels.set(id, k);
    if (saved.column) $<HTMLInputElement>("label-column").value = saved.column;
    this.names().forEach((_, k) => {
      const n = saved.names?.[k];
      if (n) this.nameInput(k).value = n;
    });
    this.changed(false);
  }

  /** The class of a row, for its tile. */
  badge(row: number): { text: string; color: string } | undefined {
    const id = this.ds?.cellIds[row];
    const k = id === undefined ? undefined : this.labels.get(id);
    return k === undefined ? undefined : { text: this.names()[k], color: CLASS_COLORS[k] };
  }

  /** A key the page did not take: 1-9 label, 0 unlabels. True if taken. */
  onKey(ev: KeyboardEvent): boolean {
    if (!this.ds || ev.ctrlKey || ev.metaKey || ev.altKey || !/^[0-9]$/.test(ev.key)) return false;
    const k = Number(ev.key) - 1; // 0 -> -1: unlabel
    const selected = this.host.selectedRows();
    const detail = this.host.detailRow();
    const rows = selected.length ? selected : detail !== null ? [detail] : this.hovered !== null ? [this.hovered] : [];
    if (!rows.length) {
      this.host.status("select cells, open one, or point at one to label it");
      return true;
    }
    for (const r of rows) {
      const id = this.ds.cellIds[r];
      if (k < 0) this.labels.delete(id);
      else this.labels.set(id, k);
    }
    if (selected.length) this.host.clearSelection();
    this.changed(true);
    // a stream of cells: the detail steps on to the next one
    if (!selected.length && detail !== null) this.host.next(detail);
    return true;
  }

  private names(): string[] {
    return Array.from({ length: N_CLASSES }, (_, k) => this.nameInput(k).value.trim() || `class ${k + 1}`);
  }

  private nameInput(k: number): HTMLInputElement {
    return document.querySelector(`#label-classes li[data-class="${k + 1}"] input`) as HTMLInputElement;
  }

  private column(): string {
    return $<HTMLInputElement>("label-column").value.trim() || "label";
  }

  /** Counts, storage and tiles after any change. */
  private changed(store: boolean): void {
    const counts = new Array(N_CLASSES).fill(0);
    for (const k of this.labels.values()) counts[k]++;
    for (let k = 0; k < N_CLASSES; k++) {
      const li = document.querySelector(`#label-classes li[data-class="${k + 1}"]`) as HTMLElement;
      (li.querySelector(".count") as HTMLElement).textContent = counts[k] ? String(counts[k]) : "";
    }
    const el = $("label-count");
    el.textContent = `${this.labels.size.toLocaleString("en-US")} cell${this.labels.size === 1 ? "" : "s"} labelled`;
    el.dataset.count = String(this.labels.size);
    if (store && this.key) {
      const saved: Saved = { column: this.column(), names: this.names(), labels: [...this.labels] };
      try {
        localStorage.setItem(this.key, JSON.stringify(saved));
      } catch (e) {
        this.host.status(`labels not kept in this browser (${(e as Error).message})`, true);
      }
    }
    this.host.redraw();
  }

  /** The labels as the server takes them: the classes in use, in legend order. */
  private request(target: "obs" | "csv") {
    const names = this.names();
    const used = [...new Set(this.labels.values())].sort((a, b) => a - b);
    const index = new Map(used.map((k, i) => [k, i]));
    return {
      target,
      column: this.column(),
      classes: used.map((k) => names[k]),
      cells: [...this.labels].map(([cellId, k]) => ({ cellId, label: index.get(k) as number })),
    };
  }

  private async save(target: "obs" | "csv"): Promise<void> {
    const names = this.names();
    if (new Set(names).size !== names.length) return this.host.status("two classes have the same name: give each its own", true);
    if (!this.labels.size) return this.host.status("no cells labelled yet", true);
    this.host.status(target === "obs" ? "saving the labels into the dataset …" : "saving the labels CSV …");
    const res = await fetch(new URL("/api/labels", location.href), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Cellfolio-Token": this.token ?? "" },
      body: JSON.stringify(this.request(target)),
    });
    const text = await res.text();
    if (!res.ok) return this.host.status(`labels not saved: ${res.status} ${text.trim()}`, true);
    const r = JSON.parse(text) as { written: string; labelled: number };
    document.body.dataset.labelsSaved = target;
    this.host.status(`saved ${r.labelled} labels to ${r.written}`);
    // the dataset was written anew: what the page read of the old file no longer holds
    if (target === "obs") this.host.reopen();
  }

  private download(): void {
    const req = this.request("csv");
    const rows = req.cells.sort((a, b) => a.cellId - b.cellId).map((c) => `${c.cellId},${csvField(req.classes[c.label])}`);
    downloadBlob(new Blob([`cellID,${csvField(req.column)}\n${rows.join("\n")}\n`], { type: "text/csv" }), `${req.column}.csv`);
  }

  /** The legend in the side panel, and the pointer tracking over the grid. */
  private mount(): void {
    const sec = document.createElement("section");
    sec.id = "labels";
    const items = Array.from(
      { length: N_CLASSES },
      (_, k) => `<li data-class="${k + 1}"><kbd>${k + 1}</kbd><span class="swatch" style="background:${CLASS_COLORS[k]}"></span><input type="text" placeholder="class ${k + 1}" spellcheck="false" /><span class="count"></span></li>`,
    ).join("");
    sec.innerHTML = `<h2>Labels</h2>
      <div class="row"><label>column <input type="text" id="label-column" value="label" spellcheck="false" /></label></div>
      <ol id="label-classes">${items}</ol>
      <div class="row"><span id="label-count" data-count="0">0 cells labelled</span></div>
      <div class="row annotate"${this.token ? "" : " hidden"}><button type="button" id="labels-save-obs">save to dataset</button><button type="button" id="labels-save-csv">save CSV</button></div>
      <div class="row"><button type="button" id="labels-download">download CSV</button><button type="button" id="labels-clear">clear labels</button></div>
      <p class="hint">keys 1–9 label the selected cells, else the open cell (then the next), else the one under the pointer; 0 unlabels</p>`;
    ($("selection") ?? $("side")).after(sec);
    sec.addEventListener("change", () => this.changed(true));
    $("labels-save-obs").addEventListener("click", () => void this.save("obs").catch((e) => this.host.status(`labels not saved: ${(e as Error).message}`, true)));
    $("labels-save-csv").addEventListener("click", () => void this.save("csv").catch((e) => this.host.status(`labels not saved: ${(e as Error).message}`, true)));
    $("labels-download").addEventListener("click", () => this.download());
    $("labels-clear").addEventListener("click", () => {
      if (this.labels.size && confirm(`remove the labels of ${this.labels.size} cells?`)) {
        this.labels.clear();
        this.changed(true);
      }
    });
    const grid = $("grid");
    grid.addEventListener("mousemove", (ev) => {
      const c = ev.target as HTMLElement;
      const ids = c.parentElement?.dataset.cellIds;
      if (!(c instanceof HTMLCanvasElement) || !ids) {
        this.hovered = null;
        return;
      }
      const tile = c.height - LABEL;
      const col = Math.floor(ev.offsetX / (tile + GAP));
      const id = Number(ids.split(",")[col]);
      this.hovered = ev.offsetX - col * (tile + GAP) < tile && Number.isFinite(id) ? (this.rowOf.get(id) ?? null) : null;
    });
    grid.addEventListener("mouseleave", () => {
      this.hovered = null;
    });
  }
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
