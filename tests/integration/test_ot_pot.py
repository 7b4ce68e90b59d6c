#!/usr/bin/env -S /usr/bin/python3
"""Cross-check of `torta-sim ot` against POT (python3-pot 0.8.2), plus its CSV input errors.

For 20 seeded random instances (n, m in 3..30, costs U[0,1] times a scale, masses U[0.1,1.1]):
  balanced   vs ot.sinkhorn(a, b, M, reg, method='sinkhorn_log')   plan 1e-10 abs, cost 1e-10 rel
  exact      vs ot.emd(a, b, M)                                     plan 1e-12 abs, cost 1e-12 rel
  unbalanced vs ot.unbalanced.sinkhorn_unbalanced(a, b, M, reg, rho) plan 1e-10 abs, cost 1e-10 rel
(both sides iterate to 1e-13; the differences seen with POT 0.8.2 are below 1e-13)
(masses normalised to 1; unbalanced targets scaled by 1.3 so the masses differ). Then a
hand-solved 3x3 fixture and malformed inputs (exit status 2, message naming file:line:column).

Run: TORTA_SIM=build/torta-sim /usr/bin/python3 tests/integration/test_ot_pot.py
Prints "N passed, M failed" and exits non-zero on any failure. Needs `torta-sim ot` wired in
src/cli/main.c: it fails loudly when `$TORTA_SIM ot --help` does not work.
"""
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import ot
import ot.unbalanced

HERE = Path(__file__).resolve().parent
FIX = HERE.parent / "fixtures" / "ot"
SIM = os.environ.get("TORTA_SIM", "")
passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args):
    return subprocess.run([SIM, "ot", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def parse(out):
    lines = out.strip().split("\n")
    last = lines[-1].split(",")
    assert last[0] == "cost", f"last line is not cost,<value>: {lines[-1]!r}"
    plan = np.array([[float(x) for x in ln.split(",")] for ln in lines[:-1]])
    return plan, float(last[1])


def write(path, arr, one_row=False):
    arr = np.atleast_2d(arr)
    if one_row:
        arr = arr.reshape(1, -1)
    np.savetxt(path, arr, fmt="%.17g", delimiter=",")


def compare(tag, res, ref_plan, M, ptol, ctol):
    if res.returncode != 0:
        check(False, f"{tag}: exit {res.returncode}: {res.stderr.strip()}")
        return
    plan, cost = parse(res.stdout)
    if plan.shape != ref_plan.shape:
        check(False, f"{tag}: plan shape {plan.shape} != {ref_plan.shape}")
        return
    ref_cost = float(np.sum(M * ref_plan))
    dp = float(np.max(np.abs(plan - ref_plan)))
    dc = abs(cost - ref_cost) / max(abs(ref_cost), 1e-300)
    check(dp <= ptol, f"{tag}: plan differs from POT by {dp:.3g} > {ptol:g}")
    check(dc <= ctol, f"{tag}: cost {cost!r} vs POT {ref_cost!r} (rel {dc:.3g} > {ctol:g})")
    check(abs(cost - float(np.sum(M * plan))) <= 1e-12 * max(1.0, abs(cost)),
          f"{tag}: printed cost is not <M, plan>")


def random_instances(tmp):
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n, m = (int(x) for x in rng.integers(3, 31, size=2))
        scale = [1.0, 1.0, 10.0, 0.1][seed % 4]
        M = rng.random((n, m)) * scale
        a = rng.random(n) + 0.1
        b = rng.random(m) + 0.1
        a /= a.sum()
        b /= b.sum()
        reg = [0.02, 0.05, 0.1, 0.5][seed % 4] * scale
        rho = [0.1, 1.0, 10.0][seed % 3] * scale
        fm, fa, fb, fbu = (tmp / f"{seed}_{x}.csv" for x in ("M", "a", "b", "bu"))
        write(fm, M)
        write(fa, a, one_row=seed % 2 == 1)  # both vector layouts
        write(fb, b, one_row=seed % 2 == 0)
        write(fbu, 1.3 * b)
        tag = f"seed {seed} ({n}x{m}, reg {reg:g})"

        ref = ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", numItermax=200000,
                          stopThr=1e-13)
        compare(tag + " balanced", run("--cost", fm, "--source", fa, "--target", fb, "--reg", reg,
                                       "--tol", "1e-13"), ref, M, 1e-10, 1e-10)

        ref = ot.emd(a, b, M)
        compare(tag + " exact", run("--cost", fm, "--source", fa, "--target", fb, "--exact"),
                ref, M, 1e-12, 1e-12)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = ot.unbalanced.sinkhorn_unbalanced(a, 1.3 * b, M, reg, rho, method="sinkhorn",
                                                     numItermax=200000, stopThr=1e-14)
        compare(tag + f" unbalanced rho {rho:g}",
                run("--cost", fm, "--source", fa, "--target", fbu, "--reg", reg, "--unbalanced",
                    rho, "--tol", "1e-13"), ref, M, 1e-10, 1e-10)


def fixtures():
    cost, a, b = FIX / "hand3x3_cost.csv", FIX / "hand3x3_a.csv", FIX / "hand3x3_b.csv"
    res = run("--cost", cost, "--source", a, "--target", b, "--exact")
    check(res.returncode == 0, f"hand 3x3: exit {res.returncode}: {res.stderr.strip()}")
    if res.returncode == 0:
        plan, c = parse(res.stdout)
        check(np.array_equal(plan, [[0, 1, 0], [1, 0, 0], [0, 0, 1]]) and c == 5.0,
              f"hand 3x3: got {res.stdout!r}")

    def bad(args, text, what):
        res = run(*args)
        check(res.returncode == 2 and text in res.stderr,
              f"{what}: exit {res.returncode}, stderr {res.stderr.strip()!r} lacks {text!r}")

    good = ["--source", a, "--target", b]
    bad(["--cost", FIX / "bad_text.csv", *good, "--exact"],
        "bad_text.csv:2:3: field 2: expected a number, found 'abc'", "text in costs")
    bad(["--cost", FIX / "bad_ragged.csv", *good, "--exact"],
        "bad_ragged.csv:2:1: 2 values, but line 1 has 3: the cost matrix must be rectangular",
        "ragged costs")
    bad(["--cost", FIX / "nan_cost.csv", *good, "--reg", "1"],
        "nan_cost.csv:1:3: field 2: 'nan' is not a finite number", "nan cost")
    bad(["--cost", FIX / "empty.csv", *good, "--reg", "1"], "empty.csv: no values", "empty file")
    bad(["--cost", cost, "--source", FIX / "neg_mass.csv", "--target", b, "--reg", "0.1"],
        "neg_mass.csv:2:1: field 1: negative mass -0.25", "negative mass")
    bad(["--cost", cost, "--source", FIX / "bad_vector.csv", "--target", b, "--reg", "0.1"],
        "bad_vector.csv:1:1: expected one value per line or all values on one line",
        "matrix as a mass vector")
    bad(["--cost", cost, "--source", FIX / "four_ones.csv", "--target", b, "--reg", "0.1"],
        "four_ones.csv: 4 source masses but", "size mismatch")
    bad(["--cost", cost, "--source", a, "--target", FIX / "four_ones.csv", "--exact"],
        "four_ones.csv: 4 target masses but", "size mismatch (target)")
    bad(["--cost", cost, "--source", FIX / "unequal_a.csv", "--target", b, "--reg", "0.1"],
        "source mass 4 != target mass 3: balanced OT needs equal masses", "unequal masses")
    bad(["--cost", cost, *good, "--reg", "0"], "--reg 0: must be a finite number > 0", "reg 0")
    bad(["--cost", cost, *good, "--reg", "-1"], "--reg -1: must be a finite number > 0",
        "reg < 0")
    bad(["--cost", cost, *good], "--reg is required (or use --exact)", "no reg")
    bad(["--cost", cost, *good, "--exact", "--unbalanced", "1"],
        "--exact solves balanced OT only", "exact + unbalanced")
    bad(["--cost", cost, *good, "--reg", "0.1", "--unbalanced", "0"],
        "--unbalanced 0: RHO must be a finite number > 0", "rho 0")
    bad(["--cost", cost, *good, "--reg", "0.1", "--bogus"], "unknown option '--bogus'",
        "unknown option")
    res = run("--cost", FIX / "missing.csv", *good, "--reg", "0.1")
    check(res.returncode == 1 and "missing.csv: cannot open" in res.stderr,
          f"missing file: exit {res.returncode}, stderr {res.stderr.strip()!r}")


def main():
    if not SIM:
        print("TORTA_SIM is not set (path of the built torta-sim)")
        print("0 passed, 1 failed")
        return 1
    try:
        res = subprocess.run([SIM, "ot", "--help"], capture_output=True, text=True, timeout=30)
        ok = res.returncode == 0 and "usage: torta-sim ot" in res.stdout
    except OSError as exc:
        ok, res = False, exc
    if not ok:
        print(f"`{SIM} ot --help` does not work: is `ot` dispatched to torta_cmd_ot() in "
              f"src/cli/main.c? ({res})")
        print("0 passed, 1 failed")
        return 1
    print(f"POT {ot.__version__}")
    with tempfile.TemporaryDirectory(prefix="torta_ot_") as d:
        random_instances(Path(d))
    fixtures()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
