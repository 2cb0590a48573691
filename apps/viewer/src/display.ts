// Per-channel display settings: contrast limits (slider and number for each
// end), a colour per channel and which channels the colour composite adds up.
// Limits start at [0, 1] for normalised data and [0, the 99.5th percentile]
// for raw intensities (from the first cells read); "auto" sets them to the
// 0.5th and 99.5th percentiles of the cells in view.
import { escapeHtml } from "./grid.js";
import type { Rgb } from "./render.js";

/** Colours the composite gives the image channels in turn. */
export const CHANNEL_COLORS: Rgb[] = [
  [40, 110, 255],
  [40, 230, 60],
  [255, 50, 50],
  [240, 40, 240],
  [30, 220, 230],
  [250, 210, 30],
];

/** At most this many values a channel are sampled for percentiles. */
const SAMPLE = 100_000;

/**
 * The p-quantiles of channel `ch` over `cells` stacks (each C x S x S), from an even sample of at most 100,000 values.
 */
export function channelPercentiles(cells: Float32Array[], size: number, ch: number, ps: number[]): number[] {
  const plane = size * size;
  const total = cells.length * plane;
  if (total === 0) return ps.map(() => Number.NaN);
  const step = Math.max(1, Math.floor(total / SAMPLE));
  const sample = new Float32Array(Math.ceil(total / step));
  let n = 0;
  for (let i = 0; i < total; i += step) {
    const v = cells[Math.floor(i / plane)][ch * plane + (i % plane)];
    if (!Number.isNaN(v)) sample[n++] = v;
  }
  const sorted = sample.subarray(0, n).sort();
  return ps.map((p) => sorted[Math.min(n - 1, Math.max(0, Math.floor(n * p)))]);
}

/**
 * A channel's limits before any are set: [0, 1] if its values lie in [0, 1]
 * (normalised, as extraction writes), else [0, its 99.5th percentile]; and
 * the span of its sliders, [min(0, least value), greatest value].
 */
export function startLimits(cells: Float32Array[], size: number, ch: number): { limits: [number, number]; span: [number, number] } {
  const [p0, p995, max] = channelPercentiles(cells, size, ch, [0, 0.995, 1]);
  const hi = max <= 1 ? 1 : p995 > 0 ? p995 : max;
  return { limits: [0, hi], span: [Math.min(0, p0), Math.max(hi, max)] };
}

export const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
const fromHex = (h: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16)) as Rgb;
const num = (v: number) => String(Number(v.toPrecision(6)));

export class ChannelControls {
  /** Per channel [lo, hi]. */
  limits: [number, number][] = [];
  colors: Rgb[] = [];
  mixed: boolean[] = [];
  /** Whether the limits come from cells read yet (the first read sets them). */
  ready = false;
  private images: number[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly onChange: () => void,
  ) {
    root.addEventListener("input", (ev) => this.edited(ev.target as HTMLInputElement));
  }

  /** A new dataset: a block of controls for each image channel (masks are outlines). */
  reset(names: string[], images: number[]): void {
    this.images = images;
    this.ready = false;
    this.limits = names.map(() => [0, 1]);
    this.colors = names.map(() => [255, 255, 255]);
    this.mixed = names.map(() => false);
    images.forEach((ch, i) => {
      this.colors[ch] = CHANNEL_COLORS[i % CHANNEL_COLORS.length];
      this.mixed[ch] = i < 3;
    });
    this.root.innerHTML = images
      .map(
        (ch) => `<div class="chan" data-channel="${escapeHtml(names[ch])}" data-index="${ch}">
  <div class="row"><label class="mix-only"><input type="checkbox" class="mix-on" ${this.mixed[ch] ? "checked" : ""} /></label>
    <input type="color" class="color mix-only" value="${hex(this.colors[ch])}" title="colour in the composite" /><span class="chan-name">${escapeHtml(names[ch])}</span></div>
  <div class="row lim"><span class="dim">lo</span><input type="range" class="lo-r" /><input type="number" step="any" class="lo" /></div>
  <div class="row lim"><span class="dim">hi</span><input type="range" class="hi-r" /><input type="number" step="any" class="hi" /></div>
</div>`,
      )
      .join("");
    for (const ch of images) this.show(ch, [0, 1]);
  }

  /** Limits from the first cells read (`startLimits`). */
  init(cells: Float32Array[], size: number): void {
    for (const ch of this.images) {
      const { limits, span } = startLimits(cells, size, ch);
      this.limits[ch] = limits;
      this.show(ch, span);
    }
    this.ready = true;
  }

  /** Limits of every image channel from the 0.5th and 99.5th percentiles of these cells. */
  auto(cells: Float32Array[], size: number): void {
    if (!cells.length) return;
    for (const ch of this.images) {
      const [lo, hi, min, max] = channelPercentiles(cells, size, ch, [0.005, 0.995, 0, 1]);
      this.limits[ch] = [lo, hi > lo ? hi : lo + 1e-6];
      const el = this.block(ch);
      const r0 = Number(el?.querySelector<HTMLInputElement>(".lo-r")?.min);
      const r1 = Number(el?.querySelector<HTMLInputElement>(".lo-r")?.max);
      this.show(ch, [Math.min(r0, min), Math.max(r1, max)]);
    }
    this.ready = true;
    this.onChange();
  }

  /** The channels the composite adds up, with their colours. */
  mix(): { channel: number; color: Rgb }[] {
    return this.images.filter((ch) => this.mixed[ch]).map((ch) => ({ channel: ch, color: this.colors[ch] }));
  }

  private block(ch: number): HTMLElement | null {
    return this.root.querySelector<HTMLElement>(`.chan[data-index="${ch}"]`);
  }

  /** Puts a channel's limits (and the sliders' span) into its controls. */
  private show(ch: number, span: [number, number]): void {
    const el = this.block(ch);
    if (!el) return;
    const [lo, hi] = this.limits[ch];
    for (const cls of ["lo-r", "hi-r"]) {
      const r = el.querySelector(`.${cls}`) as HTMLInputElement;
      r.min = num(span[0]);
      r.max = num(span[1]);
      r.step = "any"; // a typed limit stays as typed, not snapped to a step
    }
    (el.querySelector(".lo-r") as HTMLInputElement).value = String(lo);
    (el.querySelector(".hi-r") as HTMLInputElement).value = String(hi);
    (el.querySelector(".lo") as HTMLInputElement).value = num(lo);
    (el.querySelector(".hi") as HTMLInputElement).value = num(hi);
  }

  private edited(input: HTMLInputElement): void {
    const el = input.closest(".chan") as HTMLElement | null;
    if (!el) return;
    const ch = Number(el.dataset.index);
    const v = Number(input.value);
    if (input.classList.contains("color")) this.colors[ch] = fromHex(input.value);
    else if (input.classList.contains("mix-on")) this.mixed[ch] = input.checked;
    else if (Number.isFinite(v)) {
      const [lo, hi] = this.limits[ch];
      const isLo = input.classList.contains("lo") || input.classList.contains("lo-r");
      this.limits[ch] = isLo ? [v, hi] : [lo, v];
      // the other control of the same end follows
      const twin = el.querySelector(`.${isLo ? "lo" : "hi"}${input.type === "range" ? "" : "-r"}`) as HTMLInputElement;
      twin.value = input.type === "range" ? num(v) : String(v);
    } else return;
    this.onChange();
  }
}
