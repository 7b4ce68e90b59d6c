"""Summary statistics shared by the Vidur agreement test and scripts/vidur/record_fixture.py."""

METRICS = ("ttft", "tpot", "e2e")
STATS = ("mean", "p50", "p95", "p99")


def percentile(sorted_vals, q):
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    n = len(sorted_vals)
    if n == 1:
        return sorted_vals[0]
    x = (n - 1) * q / 100.0
    lo = int(x)
    hi = min(lo + 1, n - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (x - lo)


def summary(rows):
    """rows: (ttft, tpot, e2e) per request -> {metric: {stat: value}}. TPOT over requests with
    more than one output token (a value of 0 marks the others)."""
    out = {}
    for k, m in enumerate(METRICS):
        vals = sorted(r[k] for r in rows if not (m == "tpot" and r[k] == 0))
        out[m] = {"mean": round(sum(vals) / len(vals), 7),
                  "p50": round(percentile(vals, 50), 7),
                  "p95": round(percentile(vals, 95), 7),
                  "p99": round(percentile(vals, 99), 7)}
    return out
