#!/usr/bin/env -S /usr/bin/python3
"""`torta-sim ot --exact` (the network simplex) against POT's ot.emd on larger instances than
test_ot_pot.py: square up to 200, rectangular, integer costs with ties, zero masses, and the OT
planner's shape (a dummy row and column, masses floored at 1e-9, see src/sched/macro/ot_planner.c).
Costs must agree within 1e-9; torta-sim's plan must meet the marginals to 1e-12 of the total mass
and have at most n + m - 1 non-zeros. Skips (exit 0) when python3-pot is not installed.

Run: TORTA_SIM=build/torta-sim /usr/bin/python3 tests/integration/test_ot_exact_pot.py
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
    import ot
except ImportError:
    print("SKIP: python3-pot (and numpy) not installed")
    sys.exit(0)

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


def planner_shape(rng, n):
    """n regions plus the dummy row (idle capacity, cost 0) and column (overflow, above every
    real cost); demand and capacity normalised by the larger, every mass floored at 1e-9."""
    d = np.where(rng.random(n) < 0.4, 0.0, rng.random(n))
    cap = np.where(rng.random(n) < 0.3, 0.0, rng.random(n) * rng.choice([0.5, 2.0]))
    total = max(d.sum(), cap.sum())
    a = np.append(d / total, max(cap.sum() - d.sum(), 0.0) / total) + 1e-9
    b = np.append(cap / total, max(d.sum() - cap.sum(), 0.0) / total) + 1e-9
    if a.sum() > b.sum():
        b[n] += a.sum() - b.sum()
    else:
        a[n] += b.sum() - a.sum()
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = np.where(rng.random((n, n)) < 0.1, 1e3, rng.random((n, n)))
    M[:n, n] = M[:n, :n].max() + 1.0
    return a, b, M


def instance(seed):
    rng = np.random.default_rng(1000 + seed)
    kind = seed % 6
    if kind == 5:
        a, b, M = planner_shape(rng, int(rng.integers(10, 120)))
        return "planner", a, b, M
    n, m = [(50, 50), (200, 200), (37, 150), (180, 23), (120, 120)][kind]
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    tag = "random"
    if seed % 4 == 1:  # ties
        M = rng.integers(0, 4, size=(n, m)).astype(float)
        tag = "ties"
    else:
        M = rng.random((n, m))
    if seed % 3 == 2:  # zero masses
        a[rng.random(n) < 0.3] = 0.0
        b[rng.random(m) < 0.3] = 0.0
        tag += "+zeros"
    return tag, a / a.sum(), b / b.sum(), M


def main():
    if not SIM:
        print("TORTA_SIM is not set (path of the built torta-sim)")
        print("0 passed, 1 failed")
        return 1
    print(f"POT {ot.__version__}")
    with tempfile.TemporaryDirectory(prefix="torta_emd_") as d:
        d = Path(d)
        for seed in range(18):
            tag, a, b, M = instance(seed)
            n, m = M.shape
            name = f"seed {seed} ({tag}, {n}x{m})"
            np.savetxt(d / "M.csv", M, fmt="%.17g", delimiter=",")
            np.savetxt(d / "a.csv", a, fmt="%.17g")
            np.savetxt(d / "b.csv", b, fmt="%.17g")
            res = subprocess.run([SIM, "ot", "--cost", d / "M.csv", "--source", d / "a.csv",
                                  "--target", d / "b.csv", "--exact"],
                                 capture_output=True, text=True, timeout=300)
            if res.returncode != 0:
                check(False, f"{name}: exit {res.returncode}: {res.stderr.strip()}")
                continue
            lines = res.stdout.strip().split("\n")
            plan = np.array([[float(x) for x in ln.split(",")] for ln in lines[:-1]])
            cost = float(lines[-1].split(",")[1])
            ref = float(np.sum(M * ot.emd(a, b, M, numItermax=10**7)))
            check(abs(cost - ref) <= 1e-9, f"{name}: cost {cost!r} vs POT {ref!r}")
            mass = a.sum()
            check(np.all(plan >= 0), f"{name}: negative plan entries")
            err = max(np.abs(plan.sum(1) - a).max(), np.abs(plan.sum(0) - b).max())
            check(err <= 1e-12 * mass, f"{name}: marginals off by {err:.3g}")
            nnz = int(np.count_nonzero(plan))
            check(nnz <= n + m - 1, f"{name}: {nnz} non-zeros > n + m - 1 = {n + m - 1}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
