// Synthetic slides for the kernel tests and bench/extract-kernels.mjs: cells on a
// jittered grid, nucleus ellipses inside larger cytosol ellipses, some cytosols
// with holes, some cells missing from the cytosol mask, channels with noise.
// Deterministic for a seed.

export interface SyntheticSlide {
  height: number;
  width: number;
  channels: (Uint8Array | Uint16Array | Float32Array)[];
  nucleus: Int32Array;
  cytosol: Int32Array;
  ids: number[];
}

export interface SlideOptions {
  height: number;
  width: number;
  nChannels?: number;
  dtype?: "uint8" | "uint16" | "float32";
  /** Grid spacing between cell centres (cells are at most about spacing - 4 px across). */
  spacing?: number;
  seed?: number;
  /** Largest nucleus radius; cytosol radii are up to twice as large, within the spacing. */
  maxRadius?: number;
}

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeSlide(o: SlideOptions): SyntheticSlide {
  const { height: H, width: W } = o;
  const C = o.nChannels ?? 3;
  const dtype = o.dtype ?? "uint16";
  const spacing = o.spacing ?? 30;
  const rand = rng(o.seed ?? 1);
  const maxR = o.maxRadius ?? Math.max(2, Math.floor(spacing / 5));
  const nucleus = new Int32Array(H * W);
  const cytosol = new Int32Array(H * W);
  const n = H * W;
  // background noise first, then every cell adds its stain (no float copy of the slide)
  const scale = dtype === "uint8" ? 200 : dtype === "uint16" ? 40000 : 1;
  const top = dtype === "uint8" ? 255 : dtype === "uint16" ? 65535 : Number.POSITIVE_INFINITY;
  const channels: (Uint8Array | Uint16Array | Float32Array)[] = [];
  for (let c = 0; c < C; c++) {
    const plane = dtype === "uint8" ? new Uint8Array(n) : dtype === "uint16" ? new Uint16Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) plane[i] = dtype === "float32" ? 0.05 * rand() : Math.round(0.05 * rand() * scale);
    channels.push(plane);
  }
  const add = (c: number, p: number, v: number) => {
    const plane = channels[c];
    plane[p] = dtype === "float32" ? plane[p] + v : Math.min(top, plane[p] + Math.round(v * scale));
  };
  const ids: number[] = [];
  let id = 0;
  // ids are not dense: gaps test that nothing assumes id == index + 1
  for (let gy = spacing / 2; gy < H; gy += spacing) {
    for (let gx = spacing / 2; gx < W; gx += spacing) {
      id += 1 + Math.floor(rand() * 3);
      const cy = gy + (rand() - 0.5) * spacing * 0.3;
      const cx = gx + (rand() - 0.5) * spacing * 0.3;
      const rn = 1.5 + rand() * (maxR - 1.5);
      const ry = rn * (0.7 + 0.6 * rand());
      const rx = rn * (0.7 + 0.6 * rand());
      const grow = 1.3 + rand() * 0.7;
      const cyy = Math.min(ry * grow, spacing / 2 - 1);
      const cxx = Math.min(rx * grow, spacing / 2 - 1);
      const missingCyto = rand() < 0.08;
      const holey = rand() < 0.3;
      const bright = 0.3 + 0.7 * rand();
      ids.push(id);
      const y0 = Math.max(0, Math.floor(cy - cyy - 1));
      const y1 = Math.min(H, Math.ceil(cy + cyy + 2));
      const x0 = Math.max(0, Math.floor(cx - cxx - 1));
      const x1 = Math.min(W, Math.ceil(cx + cxx + 2));
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const dn = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2;
          const dc = ((y - cy) / cyy) ** 2 + ((x - cx) / cxx) ** 2;
          const p = y * W + x;
          if (dn <= 1) nucleus[p] = id;
          // a crescent-shaped hole in the cytosol, between nucleus and border
          const inHole = holey && dc > 0.45 && dc < 0.6 && x > cx;
          if (dc <= 1 && !missingCyto && !inHole) cytosol[p] = id;
          if (dc <= 1) {
            add(0, p, bright * (dn <= 1 ? 1 : 0.2)); // nuclear stain
            for (let c = 1; c < C; c++) add(c, p, bright * (0.3 + 0.7 * Math.exp(-dc)) * (c % 2 ? 1 : 0.5));
          }
        }
      }
    }
  }
  return { height: H, width: W, channels, nucleus, cytosol, ids };
}
