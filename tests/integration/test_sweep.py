"""torta-sim sweep: grid expansion (--list, manifest parameters), every point equal to the same
run done alone, sweep.csv byte-identical for --jobs 1 and --jobs 2, a crashed point (its worker
killed) and a failed point (missing trace) reported with their errors and never dropped, and a
second invocation that skips complete points, cleans a killed worker's leftovers and re-runs
only the failed ones, ending byte-identical to a fresh sweep. Bad specs exit 2 naming the field."""
import csv
import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
POISSON = "poisson:rate_per_s=3,duration_s=200,input_tokens=300,output_tokens=120"
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def sweep(spec, out, *args):
    return subprocess.run([SIM, "sweep", spec, "--out", out, *args], capture_output=True, text=True)


def write_spec(path, spec):
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def same_value(cell, v):
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, (int, float)):
        return float(cell) == float(v)
    if isinstance(v, list):
        return cell == ";".join(v)
    return cell == v


def children(pid):
    """Child process ids of pid, from /proc/*/stat (field 4 is the parent id)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(os.path.join(tmp, "grid.json"), {
            "topologies": [TOPO],
            "workloads": [{"name": "az", "trace": TRACE, "duration_s": 300}, POISSON],
            "schedulers": ["least-loaded/jsq", "latency-greedy/p2c"],
            "set": {"server.max_batch": [16, 64]},
            "seeds": "1-2"})
        # --list: the grid, last axis fastest
        p = subprocess.run([SIM, "sweep", spec, "--list"], capture_output=True, text=True)
        lines = p.stdout.strip().split("\n")
        check("--list exits 0", p.returncode == 0, p.stderr)
        check("--list: 2x2x2x2 = 16 points + header", len(lines) == 17, len(lines))
        check("--list header", lines[0].split("\t") == ["point", "topology", "workload", "scheduler",
                                                        "server.max_batch", "seed"], lines[0])
        check("--list first point id", lines[1].split("\t")[0] ==
              "Abilene__az__least-loaded+jsq__server.max_batch=16__s1", lines[1])
        check("--list seed varies fastest", [l.split("\t")[5] for l in lines[1:5]] == ["1", "2", "1", "2"])

        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        t0 = time.time()
        pa = sweep(spec, a, "--jobs", "1")
        t1 = time.time()
        pb = sweep(spec, b, "--jobs", "2")
        t2 = time.time()
        print(f"     16 points: --jobs 1 {t1 - t0:.1f} s, --jobs 2 {t2 - t1:.1f} s")
        check("sweep --jobs 1 exits 0", pa.returncode == 0, pa.stderr[-800:])
        check("sweep --jobs 2 exits 0", pb.returncode == 0, pb.stderr[-800:])
        check("progress on stderr", "[sweep] 16/16" in pb.stderr, pb.stderr[-300:])
        check("sweep.csv byte-identical for --jobs 1 and 2",
              filecmp.cmp(os.path.join(a, "sweep.csv"), os.path.join(b, "sweep.csv"), shallow=False))
        man = read_csv(os.path.join(b, "manifest.csv"))
        check("manifest: 16 rows, all ok", len(man) == 16 and all(r["status"] == "ok" for r in man),
              [r["status"] for r in man])
        check("manifest: wall times recorded", all(float(r["wall_s"]) > 0 for r in man))
        check("manifest: parameters", man[5]["scheduler"] == "latency-greedy/p2c" and
              man[5]["server.max_batch"] == "16" and man[5]["seed"] == "2" and man[5]["workload"] == "az",
              man[5])
        rows = read_csv(os.path.join(b, "sweep.csv"))
        check("sweep.csv: 16 rows in point order", [r["point"] for r in rows] == [r["point"] for r in man])
        for i in range(16):
            check(f"point {i}: per-point summaries identical across --jobs",
                  filecmp.cmp(os.path.join(a, man[i]["point"], "summary.json"),
                              os.path.join(b, man[i]["point"], "summary.json"), shallow=False))
        # every sweep.csv row is its summary.json, and equals the same run done alone
        bad = []
        for r in rows:
            s = flatten(json.load(open(os.path.join(b, r["point"], "summary.json"))))
            for k, v in s.items():
                col = "summary." + k if k in ("seed", "workload") else k
                if not same_value(r[col], v):
                    bad.append((r["point"], k, r[col], v))
        check("sweep.csv rows = flattened summaries", not bad, bad[:3])
        r0 = man[10]  # poisson, least-loaded/jsq, batch 64, seed 1
        alone = os.path.join(tmp, "alone")
        p = subprocess.run([SIM, "--topology", TOPO, "--workload", POISSON, "--macro", "least-loaded",
                            "--micro", "jsq", "--set", "server.max_batch=64", "--seed", "1", "--quiet",
                            "--out", alone], capture_output=True, text=True)
        check("the single run works", p.returncode == 0, p.stderr)
        check("a sweep point = the same run alone (summary.json bytes)",
              r0["point"].endswith("least-loaded+jsq__server.max_batch=64__s1") and
              filecmp.cmp(os.path.join(alone, "summary.json"), os.path.join(b, r0["point"], "summary.json"),
                          shallow=False), r0["point"])

        # crash + failure, then resume
        fifo = os.path.join(tmp, "fifo.csv")
        os.mkfifo(fifo)  # a worker opening it blocks until the test kills it: a "crash"
        missing = os.path.join(tmp, "missing.csv")
        rspec = write_spec(os.path.join(tmp, "resume.json"), {
            "topologies": [TOPO],
            "workloads": [POISSON, {"name": "hang", "trace": fifo},
                          {"name": "missing", "trace": missing, "duration_s": 300}],
            "schedulers": ["least-loaded/jsq"],
            "seeds": "1-2"})
        r = os.path.join(tmp, "r")
        proc = subprocess.Popen([SIM, "sweep", rspec, "--out", r, "--jobs", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed, seen, deadline = set(), {}, time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            # --jobs 1: the poisson points run first and take ~0.1 s each; a worker alive for
            # over 2 s is stuck on the fifo
            for c in children(proc.pid):
                seen.setdefault(c, time.time())
                if c not in killed and time.time() - seen[c] > 2.0:
                    os.kill(c, signal.SIGKILL)
                    killed.add(c)
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
        check("two stuck workers killed", len(killed) == 2, killed)
        check("a failed sweep exits 1", proc.returncode == 1, (proc.returncode, err[-800:]))
        man = {x["point"]: x for x in read_csv(os.path.join(r, "manifest.csv"))}
        check("manifest keeps all 6 points", len(man) == 6, list(man))
        st = sorted((x["workload"], x["seed"], x["status"]) for x in man.values())
        check("statuses", [s[2] for s in st] == ["failed"] * 4 + ["ok"] * 2, st)
        hang = [x for x in man.values() if x["workload"] == "hang"]
        check("a killed worker is reported as a crash",
              all(x["error"] == "crashed: killed by signal 9 (Killed)" for x in hang), [x["error"] for x in hang])
        miss = [x for x in man.values() if x["workload"] == "missing"]
        check("a failed point keeps its error message",
              all("missing.csv" in x["error"] for x in miss), [x["error"] for x in miss])
        check("errors also on stderr", "FAILED" in err and "missing.csv" in err, err[-500:])
        check("sweep.csv holds the 2 complete points", len(read_csv(os.path.join(r, "sweep.csv"))) == 2)

        # fix the inputs, leave a fake leftover of a killed worker, run again
        os.unlink(fifo)
        with open(TRACE) as f, open(fifo, "w") as g, open(missing, "w") as h:
            for i, line in enumerate(f):
                if i > 800:
                    break
                g.write(line)
                h.write(line)
        hang_id = hang[0]["point"]
        leftover = os.path.join(r, hang_id + ".partial-999999")
        os.makedirs(leftover)
        open(os.path.join(leftover, "requests.csv"), "w").close()
        with open(os.path.join(leftover, ".torta-sim-manifest"), "w") as g:  # as a killed worker leaves it
            g.write("torta-sim partial output\n")
        unmarked = os.path.join(r, hang_id + ".partial-999998")  # not torta-sim's: never removed
        os.makedirs(unmarked)
        before = {x: os.path.getmtime(os.path.join(r, x, "summary.json")) for x in man if man[x]["status"] == "ok"}
        p2 = sweep(rspec, r, "--jobs", "2")
        check("resumed sweep exits 0", p2.returncode == 0, p2.stderr[-800:])
        check("resume announces the complete points", "6 points, 2 already complete" in p2.stderr, p2.stderr[:300])
        man2 = {x["point"]: x for x in read_csv(os.path.join(r, "manifest.csv"))}
        check("resume: 2 cached, 4 re-run ok",
              sorted(x["status"] for x in man2.values()) == ["cached"] * 2 + ["ok"] * 4, man2)
        check("cached points keep their wall time",
              all(man2[x]["wall_s"] == man[x]["wall_s"] for x in before), [(man2[x]["wall_s"], man[x]["wall_s"]) for x in before])
        check("cached points were not rewritten",
              all(os.path.getmtime(os.path.join(r, x, "summary.json")) == t for x, t in before.items()))
        check("a killed worker's leftovers are removed", not os.path.exists(leftover))
        check("a look-alike folder without torta-sim's marker is kept", os.path.isdir(unmarked))
        fresh = os.path.join(tmp, "fresh")
        p3 = sweep(rspec, fresh, "--jobs", "2")
        check("fresh sweep exits 0", p3.returncode == 0, p3.stderr[-500:])
        check("resumed sweep.csv = fresh sweep.csv (bytes)",
              filecmp.cmp(os.path.join(r, "sweep.csv"), os.path.join(fresh, "sweep.csv"), shallow=False))
        p4 = sweep(rspec, r, "--jobs", "2")
        check("third run: everything cached", p4.returncode == 0 and "6 cached" in p4.stderr, p4.stderr[-300:])
        # same ids, other configuration: point.json differs, so the points run again
        os.makedirs(os.path.join(tmp, "r2"))
        shutil.copytree(r, os.path.join(tmp, "r2", "x"))
        spec_b = write_spec(os.path.join(tmp, "resume_b.json"),
                            {**json.load(open(rspec)), "config": write_spec(os.path.join(tmp, "c.json"),
                                                                            {"server": {"max_batch": 8}})})
        spec_b_points = subprocess.run([SIM, "sweep", spec_b, "--list"], capture_output=True, text=True)
        same_ids = [l.split("\t")[0] for l in spec_b_points.stdout.split("\n")[1:] if l]
        check("a base config keeps the point ids", sorted(same_ids) == sorted(man2), same_ids)
        p5 = sweep(spec_b, os.path.join(tmp, "r2", "x"), "--jobs", "2")
        check("changed configuration: all points re-run", p5.returncode == 0 and "6 ran, 0 cached" in p5.stderr,
              p5.stderr[-300:])

        # SIGTERM: the running point is interrupted, the rest not run; both run next time
        os.unlink(fifo)
        os.mkfifo(fifo)
        ispec = write_spec(os.path.join(tmp, "int.json"), {
            "topologies": [TOPO], "workloads": [POISSON, {"name": "hang", "trace": fifo}],
            "schedulers": ["least-loaded/jsq"], "seeds": "1-2"})
        i_out = os.path.join(tmp, "int")
        proc = subprocess.Popen([SIM, "sweep", ispec, "--out", i_out, "--jobs", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen, sent, deadline = {}, False, time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            for c in children(proc.pid):
                seen.setdefault(c, time.time())
                if not sent and time.time() - seen[c] > 2.0:
                    proc.send_signal(signal.SIGTERM)
                    sent = True
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
        check("SIGTERM: exit 130", sent and proc.returncode == 130, (proc.returncode, err[-500:]))
        st = [(x["workload"], x["seed"], x["status"]) for x in read_csv(os.path.join(i_out, "manifest.csv"))]
        check("SIGTERM: statuses ok, ok, interrupted, pending",
              [x[2] for x in st] == ["ok", "ok", "interrupted", "pending"], st)
        os.unlink(fifo)
        shutil.copy(missing, fifo)
        p = sweep(ispec, i_out, "--jobs", "2")
        check("after SIGTERM: the rest runs", p.returncode == 0 and "2 ran, 2 cached" in p.stderr, p.stderr[-300:])

        # bad specs: exit 2, the field named, nothing run
        cases = [
            ({"topologies": [TOPO], "workloads": [POISSON], "schedulers": ["least-loaded", "jsqq"]},
             "schedulers[1]: scheduler \"jsqq\": unknown macro scheduler"),
            ({"topologies": [TOPO], "workloads": [POISSON], "schedulers": "local",
              "set": {"server.max_bach": [1, 2]}}, "server.max_bach"),
            ({"topologies": [TOPO], "workloads": [POISSON], "schedulers": "local", "seeds": "2-1"},
             "seeds \"2-1\""),
        ]
        for i, (s, msg) in enumerate(cases):
            path = write_spec(os.path.join(tmp, f"bad{i}.json"), s)
            p = sweep(path, os.path.join(tmp, f"bad{i}"))
            check(f"bad spec {i}: exit 2 and message", p.returncode == 2 and msg in p.stderr, p.stderr)
            check(f"bad spec {i}: nothing written", not os.path.exists(os.path.join(tmp, f"bad{i}")))
        p = subprocess.run([SIM, "sweep", spec], capture_output=True, text=True)
        check("sweep without --out: exit 2", p.returncode == 2 and "--out" in p.stderr, p.stderr)

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
