#!/usr/bin/env -S /usr/bin/python3
"""Fit iteration-time profiles to the Splitwise profile table and write configs/profiles.json.

For every (hardware, model, tensor_parallel) triple in the CSV it fits the linear forms used by
torta_perf_iter_s (include/torta/catalog.h), in seconds:

  prefill  prompt_time(B prompts of p tokens) = p0 + p1*P + p2*Q,   P = B*p, Q = B*p^2,
           fitted per (model, TP) with a shape shared by the GPUs and a speed scale per GPU
           (p0 = q0 + s_g r0, p1 = s_g p1', p2 = s_g p2'), so it is monotone in GPU speed
  decode   token_time(B requests, prompt p, t output tokens) = d0 + d1*B + d2*C,
           C = B*(p + t/2)   (mean context of the batch over the generation)

Fitting: duplicate rows are averaged into one point per (p, B, t); a point whose prompt_time is
below the one at half its batch size (same p, t) is dropped (the run could not hold the whole
batch; it happens at tp2, batch 64). Least squares on relative error (each row divided by the
measured time), with all coefficients constrained >= 0 (exact NNLS by enumerating the active
sets of the 3 coefficients) so iteration times stay positive and monotone. Errors (MAPE and
max) are computed from the rounded coefficients that are written, over the kept points.

Other profile sources: configs/profiles/vidur_a100_llama2-70b_tp2.csv holds Vidur's predicted
iteration times (written by scripts/fit_vidur_profile.py: phase,batch,tokens,time_ms); the same
forms are fitted to it under the key "a100-80gb/llama2-70b/tp2/vidur" (profile source "vidur"),
each phase on its own and nothing shared with other triples, by the same relative least squares
(weights 1 / t^2) with coefficients >= 0. Prefill points are B prompts of p tokens (P = B p,
Q = B p^2), decode points B requests of c context tokens each (C = B c). The errors by range of
P and prompts (prefill) and of batch and context (decode) are printed after the table.

It also calibrates the four global constants of the roofline estimate that src/cluster/roofline.c
uses for triples without a fitted profile (see docs/profiles.md), against the same points, and
writes them under the key "roofline".

Run from the repository root:
  /usr/bin/python3 scripts/fit_profiles.py            # rewrite configs/profiles.json, print table
  /usr/bin/python3 scripts/fit_profiles.py --check    # exit 1 if the file is not up to date
Output is deterministic (sorted keys, 6 significant digits).
"""
import argparse
import csv
import itertools
import json
import os
import sys

import numpy as np

SIG = "%.6g"


def rnd(x):
    return float(SIG % x)


def load_points(path):
    """{(hw, model, tp): [(p, B, t, prompt_ms, token_ms, nrows), ...]} sorted, duplicates averaged."""
    acc = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["hardware"], row["model"], int(row["tensor_parallel"]),
                   int(row["prompt_size"]), int(row["batch_size"]), int(row["token_size"]))
            a = acc.setdefault(key, [0.0, 0.0, 0])
            a[0] += float(row["prompt_time"])
            a[1] += float(row["token_time"])
            a[2] += 1
    out = {}
    for key in sorted(acc):
        s_p, s_t, n = acc[key]
        out.setdefault(key[:3], []).append((key[3], key[4], key[5], s_p / n, s_t / n, n))
    return out


def drop_capped(points):
    """Drops points whose prefill is faster than at half the batch: the batch did not fit."""
    by = {(p, b, t): pt for p, b, t, pt, _, _ in points}
    kept, dropped = [], []
    for pt in points:
        p, b, t = pt[0], pt[1], pt[2]
        half = by.get((p, b // 2, t)) if b % 2 == 0 else None
        (dropped if half is not None and pt[3] < half else kept).append(pt)
    return kept, dropped


def nnls_rel(X, y):
    """min sum(((X c - y) / y)^2) subject to c >= 0, by enumerating the active sets."""
    n = X.shape[1]
    A_all = X / y[:, None]
    best = None
    for mask in itertools.product((0, 1), repeat=n):
        idx = [i for i in range(n) if mask[i]]
        if not idx:
            continue
        c, *_ = np.linalg.lstsq(A_all[:, idx], np.ones(len(y)), rcond=None)
        if (c < 0).any():
            continue
        full = np.zeros(n)
        full[idx] = c
        err = float(np.sum((A_all @ full - 1.0) ** 2))
        if best is None or err < best[0] - 1e-15:
            best = (err, full)
    return best[1]


def fit_prefill_group(members):
    """Prefill of one (model, TP) on several GPUs with a shape shared by the GPUs and a speed
    scale per GPU:  prompt_time_g = q0 + s_g (r0 + p1 P + p2 Q),  all terms >= 0, s of the first
    GPU (by name) = 1. Relative least squares over all the GPUs' points, by alternating: NNLS for
    (q0, r0, p1, p2) with the scales fixed, then each scale in closed form, until the scales
    change by less than 1e-13. The per-GPU profile is p0 = q0 + s_g r0, p1_g = s_g p1,
    p2_g = s_g p2: a GPU with the smaller scale is faster at every prompt length and batch, so
    the fit stays monotone in GPU speed (independent fits crossed: the H100's quadratic term
    made it slower than the A100 past 58k-81k prompt tokens).

    members: [(Xp, yp)] per GPU. Returns ([(p0, p1, p2)] per GPU, scales)."""
    n = len(members)
    s = np.ones(n)
    for _ in range(100000):
        X = np.vstack([np.c_[np.ones(len(y)), s[k] * X] for k, (X, y) in enumerate(members)])
        c = nnls_rel(X, np.concatenate([y for _, y in members]))
        new = s.copy()
        for k, (Xk, yk) in enumerate(members):
            f = (Xk @ c[1:]) / yk
            new[k] = np.sum(f * (1.0 - c[0] / yk)) / np.sum(f * f)
        new /= new[0]
        done = np.max(np.abs(new - s)) < 1e-13
        s = new
        if done:
            break
    else:
        sys.exit("prefill group fit did not converge")
    X = np.vstack([np.c_[np.ones(len(y)), s[k] * X] for k, (X, y) in enumerate(members)])
    c = nnls_rel(X, np.concatenate([y for _, y in members]))
    return [(c[0] + s[k] * c[1], s[k] * c[2], s[k] * c[3]) for k in range(n)], s


# Prompt-token ranges (P, the prompt tokens of one prefill iteration) for the error report.
P_RANGES = [(1, 256), (257, 1024), (1025, 4096), (4097, 8192), (8193, 1 << 30)]


def range_errors(pred, y, P):
    """[(points, MAPE, max)] per P_RANGES bin (None where no point falls)."""
    out = []
    for lo, hi in P_RANGES:
        m = (P >= lo) & (P <= hi)
        out.append((int(m.sum()),) + errors(pred[m], y[m]) if m.any() else None)
    return out


def errors(pred, y):
    rel = np.abs(pred - y) / y * 100.0
    return float(rel.mean()), float(rel.max())


def design(points):
    a = np.array([pt[:5] for pt in points], dtype=float)
    p, B, t, pt_ms, tt_ms = a.T
    Xp = np.c_[np.ones_like(p), B * p, B * p * p]
    Xd = np.c_[np.ones_like(p), B, B * (p + t / 2.0)]
    return Xp, pt_ms / 1000.0, Xd, tt_ms / 1000.0


def roofline_terms(gpu, model, tp):
    """Per-unit roofline quantities of a (GPU, model, TP) triple; the roofline constants turn
    them into profile coefficients in roofline_coef(). Must match src/cluster/roofline.c."""
    flops = tp * gpu["peak_tflops"] * 1e12
    bw = tp * gpu["mem_bw_gbps"] * 1e9
    share = (tp - 1.0) / tp  # fraction of an all-reduce that crosses GPUs (ring)
    L, h = model["layers"], model["hidden"]
    return {
        "tok_compute_s": 2.0 * model["params"] / flops,   # dense FLOPs per token, at peak
        "attn_compute_s": 2.0 * L * h / flops,            # causal attention FLOPs per p^2, at peak
        "comm_bytes": 8.0 * L * h * share,                # 2 ring all-reduces of h FP16 per layer
        "weights_mem_s": model["weight_bytes"] / bw,      # read every weight once per iteration
        "kv_mem_s": model["kv_bytes_per_token"] / bw,      # read each context token's KV once
        "sync_layers": L * share,                         # per-layer TP synchronisations
    }


def roofline_coef(r, k):
    """Profile coefficients (p0..p2, d0..d2) from roofline constants r and terms k."""
    ic, im = 1.0 / r["compute_eff"], 1.0 / r["mem_eff"]
    per_tok = ic * k["tok_compute_s"] + k["comm_bytes"] / (r["allreduce_gbps"] * 1e9)
    return (np.array([r["prefill_overhead_s"], per_tok, ic * k["attn_compute_s"]]),
            np.array([r["decode_overhead_s"] + r["layer_sync_s"] * k["sync_layers"]
                      + im * k["weights_mem_s"], per_tok, im * k["kv_mem_s"]]))


def calibrate_roofline(fits, gpus, models):
    """Fits the roofline constants to the fitted profiles at the measured points, on relative
    error with non-negative coefficients: prefill gives compute_eff, allreduce_gbps and
    prefill_overhead_s; decode (after removing the per-token term known from prefill) gives
    mem_eff, layer_sync_s and decode_overhead_s."""
    rows_p, y_p, dec = [], [], []
    for (hw, mdl, tp), f in sorted(fits.items()):
        k = roofline_terms(gpus[hw], models[mdl], tp)
        Xp, _, Xd, _ = design(f["points"])
        yp, yd = Xp @ np.array(f["p"]), Xd @ np.array(f["d"])
        for i in range(len(yp)):
            P, Q = Xp[i, 1], Xp[i, 2]
            rows_p.append([1.0, k["tok_compute_s"] * P + k["attn_compute_s"] * Q,
                           k["comm_bytes"] * P])
            y_p.append(yp[i])
        for i in range(len(yd)):
            dec.append((k, Xd[i, 1], Xd[i, 2], yd[i]))
    cp = nnls_rel(np.array(rows_p), np.array(y_p))
    ic, icomm = cp[1], cp[2]
    rows_d, y_d = [], []
    for k, B, C, y in dec:
        rows_d.append([1.0, k["sync_layers"], k["weights_mem_s"] + k["kv_mem_s"] * C])
        y_d.append(y - B * (ic * k["tok_compute_s"] + icomm * k["comm_bytes"]))
    if min(y_d) <= 0:
        sys.exit("roofline calibration: per-token term exceeds a decode time")
    cd = nnls_rel(np.array(rows_d), np.array(y_d))
    return {
        "compute_eff": rnd(1.0 / ic),
        "allreduce_gbps": rnd(1.0 / icomm / 1e9),
        "prefill_overhead_s": rnd(cp[0]),
        "mem_eff": rnd(1.0 / cd[2]),
        "layer_sync_s": rnd(cd[1]),
        "decode_overhead_s": rnd(cd[0]),
    }


# Named profile sources: (source, gpu, model, tp, data file in the fit_vidur_profile.py format).
EXTRA_SOURCES = [("vidur", "a100-80gb", "llama2-70b", 2, "configs/profiles/vidur_a100_llama2-70b_tp2.csv",
                  "configs/profiles/vidur_a100_llama2-70b_tp2_grid.csv")]
# How the simulator looks the Vidur grid up (Vidur's own rounding; docs/profiles.md).
GRID_KEYS = {"grid_context_granularity": 64, "grid_token_round": 8, "grid_attention_batch_overhead": 0.1}


# Ranges for the error report of the other sources: prefill by the prompt tokens P of the
# iteration and the prompts in it, decode by the batch and the context per request.
SRC_P_RANGES = [(1, 256), (257, 1024), (1025, 4096)]
SRC_PROMPTS = [(1, 1), (2, 4), (5, 1 << 30)]
SRC_B_RANGES = [(1, 8), (9, 24), (25, 48), (49, 128)]
SRC_C_RANGES = [(1, 1024), (1025, 2048), (2049, 1 << 30)]


def range_name(unit, lo, hi):
    if lo == hi:
        return "%s %d" % (unit, lo)
    return "%s %d-%d" % (unit, lo, hi) if hi < 1 << 30 else "%s >= %d" % (unit, lo)


def grid_table(title, rows, cols, rv, cv, pred, y):
    """Lines of a table of the relative error (pred - y) / y by two ranges: per cell the mean
    absolute error / the worst point / the mean signed error (bias), and the points."""
    rel = (pred - y) / y * 100.0
    out = [("%-14s | %s" % (title, " | ".join("%-26s" % range_name(*c) for c in cols))).rstrip()]
    for r in rows:
        cells = []
        for c in cols:
            m = (rv >= r[1]) & (rv <= r[2]) & (cv >= c[1]) & (cv <= c[2])
            cells.append("%-26s" % ("%.1f%% / %.1f%% / %+.1f%% (%d)" % (
                np.abs(rel[m]).mean(), np.abs(rel[m]).max(), rel[m].mean(), int(m.sum()))
                if m.any() else "-"))
        out.append(("%-14s | %s" % (range_name(*r), " | ".join(cells))).rstrip())
    return out


def load_grid(path):
    """The grid file: {(part, batch, tokens): seconds}."""
    with open(path, newline="") as f:
        return {(r["part"], int(r["batch"]), int(r["tokens"])): float(r["time_ms"]) / 1000.0
                for r in csv.DictReader(f)}


def grid_prefill_s(grid, P, Q, several):
    """As src/cluster/perf_grid.c, inside the grid."""
    g = GRID_KEYS
    t = grid[("prefill_linear", 1, -(-P // g["grid_token_round"]) * g["grid_token_round"])]
    return t + grid[("prefill_attention", 1, round(Q ** 0.5))] * (
        1 + g["grid_attention_batch_overhead"] * several)


def grid_decode_s(grid, B, C):
    g = GRID_KEYS["grid_context_granularity"]
    return grid[("decode", B, -(-(C // B) // g) * g)]


def fit_source_file(path, grid_path):
    """Fits p0..p2 to the prefill rows and d0..d2 to the decode rows of a predicted-times file,
    each phase on its own, by the relative least squares of nnls_rel (weights 1 / t^2), for the
    schedulers' estimates; the simulator's iteration times come from the grid file, whose
    errors against the same rows are stated (they should be 0: both are Vidur's predictions).
    Returns the profiles.json entry, the grid's overall errors and the fit's error report by
    range."""
    pre, dec = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            b, tok, ms = int(row["batch"]), int(row["tokens"]), float(row["time_ms"])
            (pre if row["phase"] == "prefill" else dec).append((b, tok, ms / 1000.0))
    b, p, yp = (np.array(x, dtype=float) for x in zip(*pre))
    Xp = np.c_[np.ones_like(yp), b * p, b * p * p]
    bd, c, yd = (np.array(x, dtype=float) for x in zip(*dec))
    Xd = np.c_[np.ones_like(yd), bd, bd * c]
    cp = [rnd(x) for x in nnls_rel(Xp, yp)]
    cd = [rnd(x) for x in nnls_rel(Xd, yd)]
    grid = load_grid(grid_path)
    pred_p = np.array([grid_prefill_s(grid, int(n * q), int(n * q * q), n > 1) for n, q, _ in pre])
    pred_d = np.array([grid_decode_s(grid, n, n * q) for n, q, _ in dec])
    pm, px = errors(pred_p, yp)
    dm, dx = errors(pred_d, yd)
    report = grid_table("prefill", [("P",) + r for r in SRC_P_RANGES],
                        [("prompts",) + r for r in SRC_PROMPTS], b * p, b,
                        Xp @ np.array(cp), yp)
    report += grid_table("decode", [("batch",) + r for r in SRC_B_RANGES],
                         [("context",) + r for r in SRC_C_RANGES], bd, c,
                         Xd @ np.array(cd), yd)
    entry = dict(GRID_KEYS, **{
        "p0": cp[0], "p1": cp[1], "p2": cp[2], "d0": cd[0], "d1": cd[1], "d2": cd[2],
        "grid_file": grid_path,
        "prefill_mape_pct": rnd(pm), "prefill_max_err_pct": rnd(px),
        "decode_mape_pct": rnd(dm), "decode_max_err_pct": rnd(dx),
        "fit_err_pct": rnd(max(pm, dm)),
        "rows": len(pre) + len(dec), "points": len(pre) + len(dec),
        "source": os.path.basename(path),
        "max_prompt_tokens": int(max(p)),
        "max_context_tokens": int(max(c)),
        "max_batch": int(max(max(b), max(bd))),
    })
    return entry, (len(pre), pm, px, len(dec), dm, dx), report


def fmt_obj(d, indent):
    pad = " " * indent
    parts = []
    for k in sorted(d):
        v = d[k]
        if isinstance(v, str):
            s = json.dumps(v)
        elif isinstance(v, list):
            s = "[" + ", ".join(str(x) if isinstance(x, int) else SIG % x for x in v) + "]"
        elif isinstance(v, int):
            s = str(v)
        else:
            s = SIG % v
        parts.append("%s%s: %s" % (pad, json.dumps(k), s))
    return "{\n" + ",\n".join(parts) + "\n" + " " * (indent - 2) + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", default="configs/profiles/splitwise_perf_model.csv")
    ap.add_argument("--gpus", default="configs/gpus.json")
    ap.add_argument("--models", default="configs/models.json")
    ap.add_argument("--out", default="configs/profiles.json")
    ap.add_argument("--check", action="store_true", help="only compare with --out")
    args = ap.parse_args()

    gpus = json.load(open(args.gpus))
    models = json.load(open(args.models))
    data = load_points(args.csv)
    fits = {}
    print("%-34s %5s | %8s %8s | %8s %8s" % ("triple", "pts", "pre MAPE", "pre max",
                                               "dec MAPE", "dec max"))
    # Prefill: one shared shape per (model, TP) with a speed scale per GPU (fit_prefill_group).
    groups = {}
    for trip in sorted(data):
        groups.setdefault(trip[1:], []).append(trip)
    prefill, scales = {}, {}
    for key, trips in sorted(groups.items()):
        members = [design(drop_capped(data[t])[0])[:2] for t in trips]
        coefs, sc = fit_prefill_group(members)
        for t, c, g in zip(trips, coefs, sc):
            prefill[t] = [rnd(x) for x in c]
            scales[t] = g
        # Monotone in GPU speed: the faster GPU's coefficients are all <= the slower one's.
        for a in trips:
            for b in trips:
                if scales[a] <= scales[b] and not all(x <= y for x, y in zip(prefill[a], prefill[b])):
                    sys.exit("prefill of %s is not below %s's everywhere" % (a, b))
    range_rows = []
    for trip in sorted(data):
        pts, dropped = drop_capped(data[trip])
        Xp, yp, Xd, yd = design(pts)
        cp = prefill[trip]
        cd = [rnd(x) for x in nnls_rel(Xd, yd)]
        range_rows.append((trip, scales[trip], range_errors(Xp @ np.array(cp), yp, Xp[:, 1])))
        pm, px = errors(Xp @ np.array(cp), yp)
        dm, dx = errors(Xd @ np.array(cd), yd)
        name = "%s/%s/tp%d" % trip
        fits[trip] = {"points": pts, "p": cp, "d": cd}
        fits[trip]["entry"] = {
            "p0": cp[0], "p1": cp[1], "p2": cp[2], "d0": cd[0], "d1": cd[1], "d2": cd[2],
            "prefill_mape_pct": rnd(pm), "prefill_max_err_pct": rnd(px),
            "decode_mape_pct": rnd(dm), "decode_max_err_pct": rnd(dx),
            "fit_err_pct": rnd(max(pm, dm)),
            "rows": int(sum(pt[5] for pt in pts)), "points": len(pts),
            "source": os.path.basename(args.csv),
            # The range the points cover: torta-sim warns when a run leaves it.
            "max_prompt_tokens": int(max(pt[0] for pt in pts)),
            "max_context_tokens": int(max(pt[0] + pt[2] for pt in pts)),
            "max_batch": int(max(pt[1] for pt in pts)),
        }
        print("%-34s %5d | %7.2f%% %7.2f%% | %7.2f%% %7.2f%%%s" % (
            name, len(pts), pm, px, dm, dx,
            "  (dropped %s)" % ", ".join("p%d B%d t%d" % d[:3] for d in dropped) if dropped else ""))

    print("\nprefill error by prompt tokens P of the iteration: MAPE / max (points); scale = "
          "the GPU's prefill time relative to the first GPU of its (model, TP)")
    print("%-34s %6s | %s" % ("triple", "scale", " | ".join(
        "%s" % ("P %d-%d" % r if r[1] < 1 << 30 else "P > %d" % (r[0] - 1)) for r in P_RANGES)))
    for trip, sc, rr in range_rows:
        print("%-34s %6.3f | %s" % ("%s/%s/tp%d" % trip, sc, " | ".join(
            "%.1f%% / %.1f%% (%d)" % (x[1], x[2], x[0]) if x else "-" for x in rr)))

    roof = calibrate_roofline(fits, gpus, models)
    print("\nroofline constants:", json.dumps(roof, sort_keys=True))
    print("%-34s | %14s %14s | %14s %14s" % ("roofline vs fit", "pre MAPE", "pre max",
                                             "dec MAPE", "dec max"))
    worst = [0.0, 0.0]
    for trip in sorted(fits):
        f = fits[trip]
        Xp, _, Xd, _ = design(f["points"])
        rp, rd = roofline_coef(roof, roofline_terms(gpus[trip[0]], models[trip[1]], trip[2]))
        pm, px = errors(Xp @ rp, Xp @ np.array(f["p"]))
        dm, dx = errors(Xd @ rd, Xd @ np.array(f["d"]))
        worst = [max(worst[0], pm), max(worst[1], dm)]
        print("%-34s | %13.1f%% %13.1f%% | %13.1f%% %13.1f%%" % ("%s/%s/tp%d" % trip, pm, px, dm, dx))
    roof["max_prefill_mape_vs_fit_pct"] = rnd(worst[0])
    roof["max_decode_mape_vs_fit_pct"] = rnd(worst[1])

    body = ["  %s: %s" % (json.dumps("%s/%s/tp%d" % t), fmt_obj(fits[t]["entry"], 4))
            for t in sorted(fits)]
    print("\n%-40s | %9s %8s %8s | %9s %8s %8s" % ("other sources", "pre pts", "MAPE", "max",
                                                   "dec pts", "MAPE", "max"))
    reports = []
    for src, gpu, mdl, tp, path, grid_path in EXTRA_SOURCES:
        entry, (npre, pm, px, ndec, dm, dx), report = fit_source_file(path, grid_path)
        key = "%s/%s/tp%d/%s" % (gpu, mdl, tp, src)
        print("%-40s | %9d %7.2f%% %7.2f%% | %9d %7.2f%% %7.2f%%" % (key, npre, pm, px, ndec, dm, dx))
        body.append("  %s: %s" % (json.dumps(key), fmt_obj(entry, 4)))
        reports.append((key, report))
    for key, report in reports:
        print("\n%s, the three-coefficient fit (the schedulers' estimates) by range: (fit - "
              "predicted) / predicted, mean absolute / worst / mean signed (points)" % key)
        print("\n".join(report))
    body.append("  %s: %s" % (json.dumps("roofline"), fmt_obj(roof, 4)))
    text = "{\n" + ",\n".join(body) + "\n}\n"
    json.loads(text)  # must stay valid JSON: it is embedded in the binary
    if args.check:
        old = open(args.out).read() if os.path.exists(args.out) else ""
        if old != text:
            print("\n%s is out of date: rerun scripts/fit_profiles.py" % args.out)
            return 1
        print("\n%s is up to date" % args.out)
        return 0
    with open(args.out, "w") as f:
        f.write(text)
    print("\nwrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
