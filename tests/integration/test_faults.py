"""Failures inside the simulated system: a region outage in the middle of a run loses no
request, its load moves elsewhere and the retries are counted; random failures from MTBF/MTTR
also lose nothing; an interrupted run still writes complete, well-formed outputs."""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def load(out):
    s = json.load(open(os.path.join(out, "summary.json")))
    rows = list(csv.DictReader(open(os.path.join(out, "requests.csv"))))
    slots = list(csv.DictReader(open(os.path.join(out, "slots.csv"))))
    return s, rows, slots


def main():
    with tempfile.TemporaryDirectory() as tmp:
        faults = os.path.join(tmp, "faults.csv")
        with open(faults, "w") as f:
            f.write("time_s,region,server,duration_s\n300,Chicago,,600\n")
        out = os.path.join(tmp, "outage")
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", TRACE, "--duration-s", "1200",
                            "--macro", "local", "--faults", faults, "--quiet", "--out", out],
                           capture_output=True, text=True)
        check("outage run", p.returncode == 0, p.stderr[-300:])
        s, rows, slots = load(out)
        req = s["requests"]
        check("no request lost", req["arrived"] == req["completed"] == len(rows) and req["rejected"] == 0, req)
        during = [r for r in rows if r["origin_region"] == "Chicago" and 300 <= float(r["arrival_s"]) < 900]
        moved = [r for r in during if r["serve_region"] != "Chicago"]
        check("Chicago's load moves elsewhere during the outage", len(during) > 20 and len(moved) == len(during),
              f"{len(moved)} of {len(during)}")
        after = [r for r in rows if r["origin_region"] == "Chicago" and float(r["arrival_s"]) >= 960]
        check("and comes back after it", after and all(r["serve_region"] == "Chicago" for r in after),
              f"{len(after)} requests after recovery")
        retried = [r for r in rows if int(r["retries"]) > 0]
        total = sum(int(r["retries"]) for r in rows)
        check("requests on the failed servers are retried", len(retried) > 0 and s["retries"] == total,
              f"{len(retried)} requests, {total} retries, summary {s['retries']}")
        check("two servers failed", s["server_failures"] == 2, s["server_failures"])
        check("migrations counted", s["migrations"] >= len(moved), f"{s['migrations']} >= {len(moved)}")
        util = [float(x["occupancy"]) for x in slots if x["region"] == "Chicago" and 6 <= int(x["slot"]) <= 14]
        check("no service in Chicago while it is down", util and max(util) == 0.0, util[:3])
        e2e_retried = sum(float(r["e2e_s"]) for r in retried) / max(1, len(retried))
        check("retries cost latency", e2e_retried > s["latency_s"]["e2e"]["mean"],
              f"{e2e_retried:.2f} s vs mean {s['latency_s']['e2e']['mean']:.2f} s")
        # e2e = network + queue + switch + prefill + (output - 1) x tpot: what remains is a prefill.
        prefill = [float(r["e2e_s"]) - float(r["network_s"]) - float(r["queue_s"]) - float(r["switch_s"]) -
                   (int(r["output_tokens"]) - 1) * float(r["tpot_s"]) for r in rows]
        check("e2e = network + queue + switch + service", all(0.01 < x < 5 for x in prefill),
              f"prefill share in [{min(prefill):.3f}, {max(prefill):.3f}] s")

        out = os.path.join(tmp, "mtbf")
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", TRACE, "--duration-s", "1800",
                            "--set", 'faults.mtbf_h={"h100-80gb": 0.5, "a100-80gb": 0.5}',
                            "--set", "faults.mttr_h=0.05", "--quiet", "--out", out], capture_output=True, text=True)
        check("MTBF run", p.returncode == 0, p.stderr[-300:])
        s, rows, _ = load(out)
        req = s["requests"]
        check("random failures lose nothing", s["server_failures"] > 10 and req["completed"] == req["arrived"] == len(rows),
              f"{s['server_failures']} failures, {req}")

        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("time_s,region,server,duration_s\n10,Atlantis,,5\n")
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", TRACE, "--faults", bad, "--quiet",
                            "--out", os.path.join(tmp, "x")], capture_output=True, text=True)
        check("unknown region in faults file", p.returncode == 2 and "bad.csv:2: region" in p.stderr, p.stderr.strip())

        # SIGINT mid-run: complete outputs for what happened, "complete": false.
        out = os.path.join(tmp, "int")
        p = subprocess.Popen([SIM, "--topology", TOPO, "--workload",
                              "poisson:rate_per_s=100,duration_s=1e7,input_tokens=500,output_tokens=100",
                              "--quiet", "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        check("SIGINT exits 130", p.returncode == 130, err.decode()[-200:])
        s, rows, slots = load(out)
        req = s["requests"]
        check("summary says incomplete", s["complete"] is False)
        check("every arrived request has a row",
              len(rows) == req["arrived"] == req["completed"] + req["rejected"] + req["in_flight"] and req["in_flight"] > 0, req)
        check("in-flight rows marked", sum(r["status"] == "in_flight" for r in rows) == req["in_flight"])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
