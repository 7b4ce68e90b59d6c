#!/usr/bin/env -S /usr/bin/python3
"""Turns Vidur's output for one workload into the torta-sim agreement fixture.

  /usr/bin/python3 scripts/vidur/record_fixture.py NAME WORKLOAD.vidur.csv VIDUR_OUT_DIR FIXTURE_DIR

reads the request list (arrived_at,num_prefill_tokens,num_decode_tokens, as make_workloads.py
wrote it) and Vidur's request_metrics.csv (in VIDUR_OUT_DIR or the one timestamped folder in it),
and writes FIXTURE_DIR/NAME.csv, one row per request in list order:

  arrival_s,input_tokens,output_tokens,ttft_s,tpot_s,e2e_s,restarts

with Vidur's TTFT (prefill_e2e_time: arrival to the end of the iteration that finishes the
prompt and gives the first token), E2E (request_e2e_time) and TPOT = (E2E - TTFT) /
(output_tokens - 1) over the original output length (0 for one output token), and the number of
times Vidur restarted the request (preemption by recompute). It also merges the summary (mean,
p50, p95, p99 of each metric, as tests/integration/test_vidur_agreement.py computes them) into
FIXTURE_DIR/summary.json.
"""
import csv
import glob
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "integration"))
from vidur_stats import summary  # noqa: E402


def main():
    name, wl, vout, fixdir = sys.argv[1:5]
    with open(wl, newline="") as f:
        reqs = [(float(r["arrived_at"]), int(r["num_prefill_tokens"]), int(r["num_decode_tokens"]))
                for r in csv.DictReader(f)]
    path = os.path.join(vout, "request_metrics.csv")
    if not os.path.exists(path):
        found = sorted(glob.glob(os.path.join(vout, "*", "request_metrics.csv")))
        if len(found) != 1:
            sys.exit("%s: expected one request_metrics.csv, found %d" % (vout, len(found)))
        path = found[0]
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows[int(float(r["Request Id"]))] = r
    if sorted(rows) != list(range(len(reqs))):
        sys.exit("%s: %d requests, Vidur reports %d" % (path, len(reqs), len(rows)))
    out = []
    for i, (a, p, d) in enumerate(reqs):
        r = rows[i]
        ttft, e2e = float(r["prefill_e2e_time"]), float(r["request_e2e_time"])
        tpot = (e2e - ttft) / (d - 1) if d > 1 else 0.0
        out.append((a, p, d, ttft, tpot, e2e, int(float(r["request_num_restarts"]))))
    os.makedirs(fixdir, exist_ok=True)
    with open(os.path.join(fixdir, name + ".csv"), "w") as f:
        f.write("arrival_s,input_tokens,output_tokens,ttft_s,tpot_s,e2e_s,restarts\n")
        for a, p, d, ttft, tpot, e2e, rs in out:
            f.write("%.6f,%d,%d,%.6f,%.7f,%.6f,%d\n" % (a, p, d, ttft, tpot, e2e, rs))
    spath = os.path.join(fixdir, "summary.json")
    allsum = json.load(open(spath)) if os.path.exists(spath) else {}
    s = summary([(x[3], x[4], x[5]) for x in out])
    s["requests"] = len(out)
    s["restarted_requests"] = sum(1 for x in out if x[6] > 0)
    s["restarts"] = sum(x[6] for x in out)
    allsum[name] = s
    with open(spath, "w") as f:
        json.dump(allsum, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%s: %d requests, %d restarted; %s" % (name, len(out), s["restarted_requests"],
                                                 json.dumps({k: s[k] for k in ("ttft", "tpot", "e2e")})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
