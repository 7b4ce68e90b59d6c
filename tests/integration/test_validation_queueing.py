"""Validation against queueing theory (issue 3), CI plan: one region of c servers in the
exponential / deterministic service mode with Poisson arrivals and central-fcfs is an M/M/c
(M/D/1) queue. Checks the Erlang-C and Pollaczek-Khinchine formulas of
scripts/validate_queueing.py against independent values, then runs its --quick plan (M/M/1,
M/M/4, M/M/16 at rho 0.5 / 0.8 / 0.9 and M/D/1 at the same loads, 20 or more fixed-seed
replications each, sized for a 95% CI half-width of 1%) and checks mean waiting and response
times within 2% of theory, Little's law on the --out run of every case, and the arrival rate.
docs/validation.md gives the full plan's figures and explains the design."""
import math
import os
import sys
import time

SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
sys.path.insert(0, os.path.join(SRC, "scripts"))
import validate_queueing as vq  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)


def erlang_c_direct(c, a):
    """Erlang C by its textbook sum, to check the recursion in the script."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def main():
    # The formulas themselves.
    check("Erlang C, c=1 is rho", all(abs(vq.erlang_c(1, r) - r) < 1e-15 for r in (0.1, 0.5, 0.9)))
    check("Erlang C, M/M/2 at a=1 is 1/3", abs(vq.erlang_c(2, 1.0) - 1 / 3) < 1e-15)
    worst = max(abs(vq.erlang_c(c, r * c) - erlang_c_direct(c, r * c)) / erlang_c_direct(c, r * c)
                for c in (1, 2, 4, 16, 50) for r in (0.3, 0.5, 0.8, 0.9, 0.99))
    check("Erlang C recursion = textbook sum", worst < 1e-12, f"max rel diff {worst:.1e}")
    wq, w = vq.mmc_theory(1, 0.8, 2.0)
    check("M/M/1: Wq = rho s / (1 - rho), W = s / (1 - rho)", abs(wq - 8.0) < 1e-12 and abs(w - 10.0) < 1e-12)
    wq4, _ = vq.mmc_theory(4, 0.8, 1.0)
    check("M/M/4 rho=0.8: Wq = 0.745541 (tables)", abs(wq4 - 0.745541) < 1e-6, f"{wq4:.6f}")
    dq, dw = vq.md1_theory(0.9, 1.0)
    check("M/D/1: Wq is half of M/M/1's", abs(dq - vq.mmc_theory(1, 0.9, 1.0)[0] / 2) < 1e-12 and dw == dq + 1)
    check("t quantiles", abs(vq.t975(9) - 2.262) < 1e-9 and abs(vq.t975(60) - 2.000) < 2e-3)

    # The simulator, CI plan.
    sel = vq.cases()
    plan = {c.name: c.quick_plan() for c in sel}
    t0 = time.time()
    rows, _ = vq.evaluate(os.environ["TORTA_SIM"], SRC, sel, plan, 2, fast=True)
    for l in rows:
        for key, nm in (("wq", "Wq"), ("w", "W")):
            q = l[key]
            check(f"{l['case']} {nm}", q["ok"],
                  f"theory {q['theory']:.6f} sim {q['sim']:.6f} err {100 * q['err']:+.2f}% "
                  f"(tol {100 * q['tol']:.2f}%{', CI-limited' if q['tol'] > vq.TOL_MEAN else ''}) "
                  f"CI +-{100 * q['hw']:.2f}%, {l['R']} x {l['n']} customers, seeds {l['seeds']}")
        check(f"{l['case']} table run = --out run", l["same"] <= 1e-4, f"{l['same']:.1e}")
        check(f"{l['case']} Little's law", l["little"] <= vq.TOL_LITTLE,
              f"max |L / (lambda_eff W) - 1| = {l['little']:.1e}")
        check(f"{l['case']} arrival rate", l["lam"] <= vq.TOL_LITTLE,
              f"all runs: arrivals / (lambda x duration) - 1 = {100 * l['lam_signed']:+.3f}%")
    print(f"simulation wall time {time.time() - t0:.1f} s")

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
