#!/usr/bin/python3
"""Masks as people have them, made from a make_slide.py slide, and what the
extraction should make of them, for extract_reference.py:

  binary   nucleus_bin.tif: the nucleus mask as 0/255 uint8; its labelling by
           skimage.measure.label (default connectivity) as nucleus_bin_lab.raw.
  independent
           cytosol_ind.tif: the cytosol mask as an independent segmentation
           would give it: labels renumbered (no id equal to its nucleus's),
           two extra cytosols with no nucleus, one cytosol spread over two
           neighbouring cells (so over two nuclei), one cell's cytosol split in
           two halves across its nucleus. Then scPortrait's mask-matching
           rules (MatchNucleusCytosolIds, implemented here on whole arrays with
           numpy) give the matched nucleus and cytosol masks (*_matched.raw)
           and the lists of what was left unmatched.

Usage: make_inputs.py SLIDE_DIR '{"height":..., "width":..., "threshold": 0.95}'
Prints one JSON line.
"""

import json
import sys

import numpy as np
import tifffile
from skimage.measure import label

d = sys.argv[1]
cfg = json.loads(sys.argv[2])
H, W = cfg["height"], cfg["width"]
threshold = cfg.get("threshold", 0.95)
nucleus = np.fromfile(f"{d}/nucleus.raw", "<i4").reshape(H, W)
cytosol = np.fromfile(f"{d}/cytosol.raw", "<u2").reshape(H, W).astype(np.int64)
rng = np.random.default_rng(11)

# --- a binary nucleus mask
binary = np.where(nucleus > 0, 255, 0).astype(np.uint8)
tifffile.imwrite(f"{d}/nucleus_bin.tif", binary)
lab = label(binary)
lab.astype("<u4").tofile(f"{d}/nucleus_bin_lab.raw")

# --- an independent cytosol segmentation
ids = np.unique(cytosol)[1:]
perm = rng.permutation(len(ids)) + 1000  # new labels, none equal to a nucleus id
ind = np.zeros_like(cytosol)
for old, new in zip(ids, perm):
    ind[cytosol == old] = new
nuc_ids = [int(i) for i in np.unique(nucleus)[1:]]
def centre(i):
    ys, xs = np.nonzero(nucleus == i)
    return ys.mean(), xs.mean()
centres = {i: centre(i) for i in nuc_ids}
inner = [i for i in nuc_ids if 30 < centres[i][0] < H - 30 and 30 < centres[i][1] < W - 30 and (ind[nucleus == i] != 0).all()]
# two neighbouring cells whose cytosol becomes one label (one cytosol over two nuclei)
a = inner[0]
b = min((i for i in inner if i != a), key=lambda i: (centres[i][0] - centres[a][0]) ** 2 + (centres[i][1] - centres[a][1]) ** 2)
la = int(np.bincount(ind[nucleus == a]).argmax())
lb = int(np.bincount(ind[nucleus == b]).argmax())
ind[ind == lb] = la
ya, xa = (int(round(v)) for v in centres[a])
yb, xb = (int(round(v)) for v in centres[b])
for t in np.linspace(0, 1, 60):  # a bridge between the two
    y, x = int(round(ya + t * (yb - ya))), int(round(xa + t * (xb - xa)))
    ind[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] = np.where(nucleus[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] > 0,
        ind[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2], la)
# one cell's cytosol split in two labels through the middle of its nucleus
s = next(i for i in inner if i not in (a, b) and abs(centres[i][0] - centres[a][0]) > 40)
ls = int(np.bincount(ind[nucleus == s]).argmax())
ys, xs = np.nonzero(ind == ls)
left = xs < centres[s][1]
ind[ys[left], xs[left]] = 9000
# two cytosols with no nucleus, in the gaps between cells
extra = []
for k, (y, x) in enumerate([(5, 5), (H - 6, W - 6)]):
    if nucleus[y - 1:y + 2, x - 1:x + 2].any():
        continue
    ind[y - 1:y + 2, x - 1:x + 2] = 9100 + k
    extra.append(9100 + k)
tifffile.imwrite(f"{d}/cytosol_ind.tif", ind.astype(np.uint16))

# --- scPortrait's matching rules on whole arrays
lookup, outside, split = {}, [], []
for n in nuc_ids:
    under = ind[nucleus == n]
    if (under == 0).any():
        outside.append(n)
        continue
    labels, counts = np.unique(under, return_counts=True)
    share = counts / counts.sum()
    ok = np.nonzero(share >= threshold)[0]
    if len(ok) == 0:
        split.append(n)
        continue
    lookup[n] = int(labels[ok[0]])
chosen = {}
for n, c in lookup.items():
    chosen.setdefault(c, []).append(n)
shared = sorted(n for c, ns in chosen.items() if len(ns) > 1 for n in ns)
pairs = {n: c for n, c in lookup.items() if len(chosen[c]) == 1}
unmatched_cytosols = sorted(int(c) for c in np.unique(ind)[1:] if int(c) not in chosen)
nuc_m = np.where(np.isin(nucleus, list(pairs)), nucleus, 0)
cyt_m = np.zeros_like(nucleus)
for n, c in pairs.items():
    cyt_m[ind == c] = n
nuc_m.astype("<i4").tofile(f"{d}/nucleus_matched.raw")
cyt_m.astype("<i4").tofile(f"{d}/cytosol_matched.raw")
print(json.dumps({
    "binary_components": int(lab.max()),
    "shared_pair": sorted([a, b]), "split_cell": s, "extra_cytosols": extra,
    "matched": sorted(pairs), "outside": sorted(outside), "split": sorted(split), "shared": shared,
    "unmatched_cytosols": unmatched_cytosols,
}))
