# The py-lmd side of the laser-microdissection tests: runs py-lmd's
# SegmentationLoader on a raw uint32 mask with the same cell sets, calibration
# and options as cellfolio, loads cellfolio's XML with py-lmd's
# Collection.load, and compares the shapes with shapely.
# stdin (JSON): a list of jobs {"mask": path of raw little-endian uint32,
#   "height": H, "width": W, "sets": [{"classes": [...], "well": "A1"}],
#   "calibration": [[row, col] x 3], "config": {py-lmd config},
#   "ours": path of our XML, "threads": N}
# stdout: one JSON line, a list of results (one per job).
import contextlib
import io
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import shapely
from shapely.strtree import STRtree

import lmd.lib._segmentation as segmentation
from lmd.lib import Collection, SegmentationLoader

# py-lmd measures each well's path through the shapes' centres with calc_len,
# once in listed order and once in its optimised order: record those values.
lengths = []
_calc_len = segmentation.calc_len
def recording_calc_len(data):
    v = float(_calc_len(data))
    lengths.append(v)
    return v
segmentation.calc_len = recording_calc_len


def geometry(points):
    # py-lmd's polygons end with a copy of their first smoothing-window points
    # (its convolution's "full" output), which retraces part of the outline;
    # "structure" keeps the area enclosed instead of xor-ing the retraced part.
    return shapely.make_valid(shapely.Polygon(points), method="structure")


def run(p):
    mask = np.fromfile(p["mask"], dtype="<u4").reshape(p["height"], p["width"])
    config = dict(p["config"])
    config["threads"] = p.get("threads", 1)
    if "orientation_transform" in config:
        config["orientation_transform"] = np.array(config["orientation_transform"], dtype=float).reshape(2, 2)
    cal = np.array(p["calibration"], dtype=float)
    sets = [dict(s) for s in p["sets"]]
    lengths.clear()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        theirs = SegmentationLoader(config=config, processes=1)(mask, sets, cal)
    out = {"seconds": time.perf_counter() - t0, "shapes": len(theirs.shapes)}
    optimised = config.get("path_optimization", "hilbert") != "none"
    step = 2 if optimised else 1
    out["path"] = [{"before": lengths[i], "after": lengths[i + step - 1]} for i in range(0, len(lengths), step)]

    scale = config.get("xml_decimal_transform", 100)
    T = np.array(config.get("orientation_transform", np.eye(2)), dtype=float).reshape(2, 2)
    inv = np.linalg.inv(T)
    ref_xml = p["ours"] + ".pylmd.xml"
    with contextlib.redirect_stdout(io.StringIO()):
        theirs.save(ref_xml)
    ref = Collection()
    ref.load(ref_xml)
    ours = Collection()
    ours.load(p["ours"])
    out["calibration_theirs"] = ref.calibration_points.tolist()
    out["calibration_ours"] = ours.calibration_points.tolist()
    theirs_p = [(s.well, geometry(s.points)) for s in theirs.shapes]
    # ours back from XML units to mask pixels
    ours_p = [(s.well, geometry(np.asarray(s.points, dtype=float) / scale @ inv)) for s in ours.shapes]

    def per_well(ps):
        d = {}
        for w, _ in ps:
            d[str(w)] = d.get(str(w), 0) + 1
        return d

    out["wells_theirs"] = per_well(theirs_p)
    out["wells_ours"] = per_well(ours_p)
    # each of our shapes against the py-lmd shape of its well it overlaps most
    tree = STRtree([g for _, g in theirs_p])
    ratios, unmatched, used = [], 0, set()
    for well, g in ours_p:
        best, best_i = 0.0, -1
        for i in tree.query(g):
            if theirs_p[i][0] != well:
                continue
            a = g.intersection(theirs_p[i][1]).area
            if a > best:
                best, best_i = a, int(i)
        if best_i < 0:
            unmatched += 1
            continue
        used.add(best_i)
        t = theirs_p[best_i][1]
        ratios.append(g.symmetric_difference(t).area / t.area)
    out["unmatched"] = unmatched
    out["theirs_unmatched"] = len(theirs_p) - len(used)
    out["worst_symdiff_ratio"] = max(ratios) if ratios else None
    out["mean_symdiff_ratio"] = float(np.mean(ratios)) if ratios else None
    return out


print(json.dumps([run(job) for job in json.loads(sys.stdin.read())]))
