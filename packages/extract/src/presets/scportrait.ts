// The scportrait preset (reproduces scPortrait >= 1.4; docs/algorithm.md):
// the soft masks gaussian(fill_holes(mask == id), sigma) are stored, each
// channel is weighted by the cytosol's soft mask (the nucleus's without a
// cytosol mask), then normalised to the weighted crop's quantiles and clipped.
import { area, cropChannel, cropChannelWasm, exactInFloat32, type Scratch, type Window, writeScaled, writeScaledWasm } from "../crop.js";
import { fillHoles } from "../kernels/fill-holes.js";
import { blurBinary } from "../kernels/gaussian.js";
import { listsResult } from "../kernels/quantile.js";
import { isEmpty, type Rect } from "../kernels/rect.js";

export function scportrait(win: Window, oy: number, ox: number, s: Scratch, hasCyto: boolean, out: Uint16Array): void {
  const S = s.S;
  const SS = S * S;
  const nM = hasCyto ? 2 : 1;
  const wasm = s.wasm;
  // Soft masks: gaussian(fill_holes(mask == id), sigma).
  if (wasm) wasm.fillHoles(s.nMask, s.nBox);
  else fillHoles(s.nMask, S, s.nBox, s.stack);
  if (wasm) {
    wasm.blurBinary(s.nMask, s.nBox, wasm.wN, s.nSupport);
    writeScaledWasm(wasm, wasm.wN, s.nSupport, 0, 1, 0, out, 0);
  } else {
    blurBinary(s.nMask, S, S, s.nBox, s.kernel, s.tmp, s.wN, s.nSupport);
    copyPlane(s.wN, s.nSupport, s);
    writeScaled(s, s.nSupport, 0, 1, 0, out, 0);
  }
  if (hasCyto) {
    if (wasm) wasm.fillHoles(s.cMask, s.cBox);
    else fillHoles(s.cMask, S, s.cBox, s.stack);
    if (wasm) {
      wasm.blurBinary(s.cMask, s.cBox, wasm.wC, s.cSupport);
      writeScaledWasm(wasm, wasm.wC, s.cSupport, 0, 1, 0, out, SS);
    } else {
      blurBinary(s.cMask, S, S, s.cBox, s.kernel, s.tmp, s.wC, s.cSupport);
      copyPlane(s.wC, s.cSupport, s);
      writeScaled(s, s.cSupport, 0, 1, 0, out, SS);
    }
  }
  const W = hasCyto ? s.wC : s.wN;
  const r = hasCyto ? s.cSupport : s.nSupport;
  const f = s.fbuf;
  const x = s.xbuf;
  const sel = s.sel;
  const [q0, q1] = s.params.quantiles;
  for (let k = 0; k < win.channels.length; k++) {
    const base = (nM + k) * SS;
    if (isEmpty(r)) {
      out.fill(0, base, base + SS);
      continue;
    }
    const ch = win.channels[k];
    // WebAssembly for the channels float32 holds exactly (the same bits as below)
    const w = wasm && exactInFloat32(ch) ? wasm : null;
    if (w) cropChannelWasm(w, ch, win, oy, ox, r, s);
    else cropChannel(ch, win, oy, ox, r, s.valid, S, x);
    if (w) {
      w.x.weigh(w.xbuf.p, (hasCyto ? w.wC : w.wN).p, w.fbuf.p, S, r.y0, r.y1, r.x0, r.x1);
      if (s.wasmSelect) {
        w.x.qReset(w.lowPtr, w.highPtr, s.lists[0], s.lists[1]);
        w.x.qPushZeros(SS - area(r));
        w.x.qPushRows(w.fbuf.p + 4 * (r.y0 * S + r.x0), S, r.y1 - r.y0, r.x1 - r.x0);
        listsResult(w.low, w.high, SS, q0, q1, s.q);
      } else {
        sel.reset(SS, q0, q1);
        sel.pushZeros(SS - area(r));
        for (let y = r.y0; y < r.y1; y++) sel.push(f, y * S + r.x0, y * S + r.x1);
        sel.result(s.q);
      }
    } else {
      sel.reset(SS, q0, q1);
      sel.pushZeros(SS - area(r));
      for (let y = r.y0; y < r.y1; y++) {
        const row = y * S;
        for (let i = row + r.x0; i < row + r.x1; i++) f[i] = x[i] * W[i];
        sel.push(f, row + r.x0, row + r.x1);
      }
      sel.result(s.q);
    }
    const lo = s.q[0];
    const hi = s.q[1];
    if (hi === lo) {
      // left unscaled
      if (w) writeScaledWasm(w, w.fbuf, r, 0, 1, 0, out, base);
      else writeScaled(s, r, 0, 1, 0, out, base);
      continue;
    }
    const inv = 1 / (hi - lo);
    const o = -lo * inv;
    const outside = o < 0 ? 0 : o > 1 ? 1 : o;
    if (w) {
      w.x.clipScale(w.fbuf.p, S, r.y0, r.y1, r.x0, r.x1, lo, inv);
      writeScaledWasm(w, w.fbuf, r, 0, 1, outside, out, base);
      continue;
    }
    for (let y = r.y0; y < r.y1; y++) {
      const row = y * S;
      for (let i = row + r.x0; i < row + r.x1; i++) {
        const t = (f[i] - lo) * inv;
        f[i] = t < 0 ? 0 : t > 1 ? 1 : t;
      }
    }
    writeScaled(s, r, 0, 1, outside, out, base);
  }
}

function copyPlane(src: Float32Array, r: Rect, s: Scratch): void {
  const S = s.S;
  for (let y = r.y0; y < r.y1; y++) s.fbuf.set(src.subarray(y * S + r.x0, y * S + r.x1), y * S + r.x0);
}
