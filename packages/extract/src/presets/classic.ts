// The classic preset (cellfolio's default; docs/algorithm.md): the binary
// masks are stored (the cytosol's holes filled), and each channel is weighted
// by a blurred mask: the nuclear channel by the nucleus mask blurred
// (gaussian, sigma), the others by the cytosol mask dilated by a disk, then
// blurred; each channel is normalised to its crop's quantiles, clipped to
// [0, 1], weighted, then min-max scaled.
import { area, type ChannelPlane, channelQuantiles, cropChannel, cropChannelWasm, exactInFloat32, minMaxScale, quantileScale, type Scratch, type Window, writeBinary, writeScaled, writeScaledWasm } from "../crop.js";
import { dilateDisk } from "../kernels/dilate.js";
import { fillHoles } from "../kernels/fill-holes.js";
import { blurBinary } from "../kernels/gaussian.js";
import { listsResult } from "../kernels/quantile.js";
import { isEmpty, type Rect } from "../kernels/rect.js";
import type { Plane32, WasmKernels } from "../kernels/wasm.js";

export function classic(win: Window, oy: number, ox: number, s: Scratch, hasCyto: boolean, out: Uint16Array): void {
  const S = s.S;
  const SS = S * S;
  const nM = hasCyto ? 2 : 1;
  const wasm = s.wasm;
  writeBinary(s.nMask, s.nBox, S, out, 0);
  if (wasm) wasm.blurBinary(s.nMask, s.nBox, wasm.wN, s.nSupport);
  else blurBinary(s.nMask, S, S, s.nBox, s.kernel, s.tmp, s.wN, s.nSupport);
  if (hasCyto) {
    if (wasm) wasm.fillHoles(s.cMask, s.cBox);
    else fillHoles(s.cMask, S, s.cBox, s.stack);
    writeBinary(s.cMask, s.cBox, S, out, SS);
    if (wasm) wasm.dilateDisk(s.cMask, s.dMask, s.cBox, s.dBox);
    else dilateDisk(s.cMask, s.dMask, S, S, s.cBox, s.halfWidths, s.dBox);
    if (wasm) wasm.blurBinary(s.dMask, s.dBox, wasm.wC, s.cSupport);
    else blurBinary(s.dMask, S, S, s.dBox, s.kernel, s.tmp, s.wC, s.cSupport);
  }
  const f = s.fbuf;
  for (let k = 0; k < win.channels.length; k++) {
    const ch = win.channels[k];
    const nuclear = k === s.params.nuclearChannel || !hasCyto;
    const W = nuclear ? s.wN : s.wC;
    const r = nuclear ? s.nSupport : s.cSupport;
    const base = (nM + k) * SS;
    if (isEmpty(r)) {
      out.fill(0, base, base + SS);
      continue;
    }
    if (wasm && exactInFloat32(ch)) {
      classicChannelWasm(wasm, ch, win, oy, ox, s, nuclear ? wasm.wN : wasm.wC, r, out, base);
      continue;
    }
    channelQuantiles(ch, win, oy, ox, s.valid, s);
    // Read the slide directly where the support lies inside the image (the usual
    // case); otherwise through a zero-padded copy.
    const v = s.valid;
    const direct = r.y0 >= v.y0 && r.y1 <= v.y1 && r.x0 >= v.x0 && r.x1 <= v.x1;
    let src: ChannelPlane = s.xbuf;
    let srcOff = 0; // src index = crop index + srcOff (per row for the direct case)
    let srcStride = S;
    if (direct) {
      src = ch;
      srcStride = win.width;
      srcOff = (oy - win.y0) * win.width + (ox - win.x0);
    } else {
      cropChannel(ch, win, oy, ox, r, v, S, s.xbuf);
    }
    // normalise, clip, weight; min / max of the products (0 outside the support)
    let mn = area(r) < SS ? 0 : Number.POSITIVE_INFINITY;
    let mx = area(r) < SS ? 0 : Number.NEGATIVE_INFINITY;
    // every step in float32, as the WebAssembly kernel (normWeight) computes it
    const { nlo, inv, loClip, hiClip } = quantileScale(s.q[0], s.q[1]);
    for (let y = r.y0; y < r.y1; y++) {
      const row = y * S;
      const so = y * srcStride + srcOff - row; // src index of crop index i is i + so
      const end = row + r.x1;
      for (let i = row + r.x0; i < end; i++) {
        let t = Math.fround(Math.fround(src[i + so] - nlo) * inv);
        t = t < loClip ? loClip : t > hiClip ? hiClip : t;
        t = Math.fround(t * W[i]);
        f[i] = t;
        if (t < mn) mn = t;
        if (t > mx) mx = t;
      }
    }
    const { sub, mul, outside } = minMaxScale(mn, mx);
    writeScaled(s, r, sub, mul, outside, out, base);
  }
}

/** The classic preset's channel step (the loop above) on the WebAssembly kernels: the same bits. */
function classicChannelWasm(w: WasmKernels, ch: ChannelPlane, win: Window, oy: number, ox: number, s: Scratch, W: Plane32, r: Rect, out: Uint16Array, base: number): void {
  const S = s.S;
  const [q0, q1] = s.params.quantiles;
  if (s.wasmSelect && w.selectIn(ch, win.width, oy - win.y0, ox - win.x0, s.valid, S * S, s.lists[0], s.lists[1])) {
    // the quantiles from the band's own pixels; only the support widened to float32
    listsResult(w.low, w.high, S * S, q0, q1, s.q);
    cropChannelWasm(w, ch, win, oy, ox, r, s);
  } else {
    // the whole crop as float32, zeros outside the image: the quantiles' values
    cropChannelWasm(w, ch, win, oy, ox, s.full, s);
    if (s.wasmSelect) {
      w.x.qReset(w.lowPtr, w.highPtr, s.lists[0], s.lists[1]);
      w.x.qPushRows(w.xbuf.p, S, S, S);
      listsResult(w.low, w.high, S * S, q0, q1, s.q);
    } else {
      s.sel.reset(S * S, q0, q1);
      s.sel.push(s.xbuf, 0, S * S);
      s.sel.result(s.q);
    }
  }
  const { nlo, inv, loClip, hiClip } = quantileScale(s.q[0], s.q[1]);
  w.x.normWeight(w.xbuf.p, W.p, w.fbuf.p, S, r.y0, r.y1, r.x0, r.x1, nlo, inv, loClip, hiClip, w.mnmxPtr);
  const { sub, mul, outside } = minMaxScale(w.mnmx[0], w.mnmx[1]);
  writeScaledWasm(w, w.fbuf, r, sub, mul, outside, out, base);
}
