"""Bad input through the CLI: each case must exit with status 2, print a message naming the file
(or JSON path) and the field, and leave no output folder (not even a partial one)."""
import glob
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
FIX = os.path.join(SRC, "tests/fixtures")

# (name, extra args, expected substrings of stderr)
CASES = [
    ("missing topology file", ["--topology", "/nonexistent/x.gml"], ["/nonexistent/x.gml"]),
    ("unknown macro", ["--macro", "least-loded"], ["least-loded", 'did you mean "least-loaded"']),
    ("unknown micro", ["--micro", "jsqq"], ["jsqq", 'did you mean "jsq"']),
    ("unknown config key", ["--set", "server.max_bach=4"], ["server.max_bach", 'did you mean "max_batch"']),
    ("wrong value type", ["--set", "server.max_batch=\"many\""], ["server.max_batch", "must be a number"]),
    ("value out of range", ["--set", "server.kv_utilization=1.5"], ["server.kv_utilization", "outside"]),
    ("unknown service mode", ["--set", "server.mode=exponentail"], ["server.mode", 'did you mean "exponential"']),
    ("unknown prefill count", ["--set", "server.prefill_count=padding"], ["server.prefill_count", '"padding" is not sum or padded']),
    ("unknown GPU", ["--set", 'regions.servers=[{"gpu":"h200","model":"llama2-70b","tp":4}]'],
     ["regions.servers[0].gpu", "h200"]),
    ("model does not fit", ["--set", 'regions.servers=[{"gpu":"a10-24gb","model":"llama2-70b","tp":1}]'],
     ["cannot hold", "llama2-70b"]),
    ("unknown region in weights", ["--set", 'workload.origin_weights={"Atlantis":1}'],
     ["workload.origin_weights.Atlantis", "no such region"]),
    ("bad --set syntax", ["--set", "seed"], ["--set seed", "path.to.key=value"]),
    ("config syntax error", ["--config", os.path.join(FIX, "core/bad_config.json")], ["bad_config.json:3:", "JSON syntax error"]),
    ("negative rate scale", ["--rate-scale", "-2"], ["--rate-scale"]),
    ("disconnected topology", ["--topology", os.path.join(FIX, "topo/disconnected.gml")], ["disconnected"]),
    ("unknown workload kind", ["--workload", "poison:rate_per_s=1"], ["poison", "poisson"]),
    # Issue 17: strict parsing.
    ("number with trailing text", ["--set", "server.max_batch=64abc"], ["server.max_batch", "64abc"]),
    ("two numbers for one", ["--set", "slot_s=30,45"], ["slot_s", "30,45"]),
    ("hex seed", ["--seed", "0x10"], ["--seed", "0x10", "decimal"]),
    ("seed above 2^64", ["--seed", "18446744073709551616"], ["--seed", "18446744073709551616"]),
    ("seed above 2^53 as a number", ["--set", "seed=9007199254740993"], ["config.seed", "string"]),
    ("slots.csv too large", ["--workload", "poisson:rate_per_s=0.001,duration_s=1e9,input_tokens=9,output_tokens=9",
                             "--slot-s", "1"], ["slots.csv would have", "rows"]),
]
for path in sorted(glob.glob(os.path.join(FIX, "traces/bad/*"))):
    CASES.append(("trace " + os.path.basename(path), ["--trace", path], [os.path.basename(path)]))


def tree_sum(root):
    """Checksum of every file (path + content) under root: a decoy must come out unchanged."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(d, f)
            h.update(os.path.relpath(path, root).encode())
            with open(path, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def run(*args, **kw):
    return subprocess.run([SIM, "--quiet", *args], capture_output=True, text=True, **kw)


SHORT = ["--topology", TOPO, "--trace", TRACE, "--duration-s", "60"]


def issue17_cases(tmp):
    """Safe outputs, file arguments, duplicate keys, signals during set-up (issue 17)."""
    results = []

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail[:200]}")
        results.append(ok)

    # The data-loss reproduction: a folder with summary.json and the user's own files.
    x = os.path.join(tmp, "x")
    os.makedirs(os.path.join(x, "docs"))
    with open(os.path.join(x, "summary.json"), "w") as f:
        f.write("{}\n")
    with open(os.path.join(x, "docs", "thesis.tex"), "w") as f:
        f.write("keep\n")
    before = tree_sum(x)
    p = run(*SHORT, "--out", x)
    check("existing --out refused", p.returncode == 2 and "--force" in p.stderr and tree_sum(x) == before,
          p.stderr.strip())
    p = run(*SHORT, "--out", x, "--force")
    check("--force refuses a folder torta-sim did not make",
          p.returncode == 2 and "not a torta-sim output" in p.stderr and tree_sum(x) == before, p.stderr.strip())
    # A torta-sim output is replaced with --force, and only then.
    y = os.path.join(tmp, "y")
    p = run(*SHORT, "--out", y)
    ok = p.returncode == 0 and os.path.exists(os.path.join(y, ".torta-sim-manifest"))
    p2 = run(*SHORT, "--out", y)
    p3 = run(*SHORT, "--out", y, "--force", "--seed", "7")
    with open(os.path.join(y, "config.json")) as f:
        seed7 = json.load(f)["seed"] == 7
    check("--force replaces an earlier torta-sim output", ok and p2.returncode == 2 and p3.returncode == 0 and seed7,
          p2.stderr.strip() + " | " + p3.stderr.strip())
    # A file of the user's added to a torta-sim output makes it the user's.
    with open(os.path.join(y, "notes.txt"), "w") as f:
        f.write("mine\n")
    before = tree_sum(y)
    p = run(*SHORT, "--out", y, "--force")
    check("--force keeps an output the user added to", p.returncode == 2 and "notes.txt" in p.stderr
          and tree_sum(y) == before, p.stderr.strip())
    # A temporary folder of a dead run (killed by a signal) is cleaned by the next run.
    z = os.path.join(tmp, "z")
    dead = subprocess.Popen(["sleep", "0"])
    dead.wait()
    stale = f"{z}.partial-{dead.pid}"
    os.makedirs(stale)
    with open(os.path.join(stale, ".torta-sim-manifest"), "w") as f:
        f.write("torta-sim partial output\n")
    with open(os.path.join(stale, "requests.csv"), "w") as f:
        f.write("half a row")
    foreign = f"{z}.partial-{dead.pid + 1000000}"  # no marker: never touched
    os.makedirs(foreign)
    p = run(*SHORT, "--out", z)
    check("stale temporary folder cleaned, others kept", p.returncode == 0 and not os.path.exists(stale)
          and os.path.isdir(foreign), p.stderr.strip())
    # Bad --out checked before any set-up work: a file where the folder should be.
    f_out = os.path.join(tmp, "afile")
    with open(f_out, "w") as f:
        f.write("data\n")
    p = run(*SHORT, "--out", f_out)
    check("--out naming a file", p.returncode == 2 and "not a folder" in p.stderr and open(f_out).read() == "data\n",
          p.stderr.strip())
    # Concurrent runs on one --out: one complete folder every time (a few trials; the lock and
    # the atomic exchange make this deterministic, not lucky).
    bad = []
    for t in range(4):
        c = os.path.join(tmp, f"conc{t}")
        force = ["--force"] if t % 2 else []
        procs = [subprocess.Popen([SIM, "--quiet", *SHORT, "--seed", str(k + 1), "--out", c, *force],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for k in range(2)]
        codes = [pr.wait() for pr in procs]
        files = sorted(os.listdir(c)) if os.path.isdir(c) else []
        complete = files == [".torta-sim-manifest", "config.json", "latency.csv", "requests.csv", "slots.csv", "summary.json"]
        left = [n for n in os.listdir(tmp) if n.startswith(f"conc{t}.partial")]
        if not complete or 0 not in codes or left or any(k not in (0, 2) for k in codes):
            bad.append((t, codes, files, left))
    check("concurrent runs on one --out", not bad, str(bad))
    # train: an existing --policy-out is not overwritten without --force, and that is checked first.
    pol = os.path.join(tmp, "policy.json")
    with open(pol, "w") as f:
        f.write("mine\n")
    p = subprocess.run([SIM, "train", "--quiet", *SHORT, "--macro", "torta", "--episodes", "1",
                        "--policy-out", pol],
                       capture_output=True, text=True)
    check("train --policy-out existing file", p.returncode == 2 and "--force" in p.stderr
          and open(pol).read() == "mine\n", p.stderr.strip())
    # sweep/compare --out into a folder of the user's.
    p = subprocess.run([SIM, "compare", "--quiet", *SHORT, "--schedulers", "local", "--seeds", "1", "--out", x],
                       capture_output=True, text=True)
    check("compare --out into a user's folder", p.returncode == 2 and "did not make" in p.stderr
          and tree_sum(x) != "" and os.path.exists(os.path.join(x, "docs", "thesis.tex")), p.stderr.strip())
    # Folders given as files: exit 2 with the path, never an abort inside igraph.
    d = os.path.join(tmp, "x.gml")
    os.makedirs(d)
    for opt, args in [("--topology", ["--topology", d, "--trace", TRACE]),
                      ("--trace", ["--topology", TOPO, "--trace", d]),
                      ("--config", [*SHORT, "--config", d]),
                      ("lengths=", ["--topology", TOPO, "--workload", f"poisson:rate_per_s=1,duration_s=9,lengths={d}"])]:
        p = run(*args)
        check(f"folder as {opt}", p.returncode == 2 and d in p.stderr and "folder" in p.stderr, p.stderr.strip())
    # Duplicate keys in a JSON configuration: both lines named.
    dup = os.path.join(tmp, "dup.json")
    with open(dup, "w") as f:
        f.write('{\n  "server": {"max_batch": 4,\n    "max_batch": 8}\n}\n')
    p = run(*SHORT, "--config", dup)
    check("duplicate JSON key", p.returncode == 2 and "dup.json:3" in p.stderr and "server.max_batch" in p.stderr
          and "line 2" in p.stderr, p.stderr.strip())
    # Many server groups: set-up stays linear (this took ~25 s when it was quadratic).
    groups = os.path.join(tmp, "groups.json")
    with open(groups, "w") as f:
        json.dump({"regions": {"servers": [{"gpu": "a100-80gb", "model": "llama2-7b", "count": 0}] * 20000
                               + [{"gpu": "a100-80gb", "model": "llama2-7b", "count": 1}]}}, f)
    t0 = time.monotonic()
    p = run(*SHORT, "--config", groups)
    check("20,000 server groups set up quickly", p.returncode == 0 and time.monotonic() - t0 < 10,
          f"{time.monotonic() - t0:.2f} s {p.stderr.strip()}")
    # SIGTERM during set-up (a large fleet): exit 130 promptly, nothing written.
    big = os.path.join(tmp, "big.json")
    with open(big, "w") as f:
        json.dump({"regions": {"servers": [{"gpu": "a100-80gb", "model": "llama2-7b", "count": 50000}] * 10}}, f)
    out = os.path.join(tmp, "sig")
    pr = subprocess.Popen([SIM, "--quiet", *SHORT, "--config", big, "--out", out], stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    t0 = time.monotonic()
    pr.send_signal(signal.SIGTERM)
    err = pr.communicate()[1]
    wait = time.monotonic() - t0
    left = [n for n in os.listdir(tmp) if n.startswith("sig")]
    check("SIGTERM during set-up", pr.returncode == 130 and not left and wait < 10, f"rc={pr.returncode} "
          f"{wait:.2f} s {err.strip()} {left}")
    return sum(results), len(results) - sum(results)


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, extra, expect) in enumerate(CASES):
            out = os.path.join(tmp, f"out{i}")
            args = {"--topology": TOPO, "--trace": TRACE}
            for k in ("--topology", "--trace"):
                if k in extra:
                    args[k] = extra[extra.index(k) + 1]
            if "--workload" in extra:
                del args["--trace"]
            rest = [a for j, a in enumerate(extra)
                    if a not in ("--topology", "--trace") and (j == 0 or extra[j - 1] not in ("--topology", "--trace"))]
            cmd = [SIM, "--quiet", "--out", out]
            for k, v in args.items():
                cmd += [k, v]
            p = subprocess.run(cmd + rest, capture_output=True, text=True)
            left = [x for x in os.listdir(tmp) if x.startswith(f"out{i}")]
            ok = p.returncode == 2 and all(s in p.stderr for s in expect) and not left
            print(f"{'ok  ' if ok else 'FAIL'} {name}: rc={p.returncode} {p.stderr.strip()[:160]}"
                  + (f" LEFT {left}" if left else ""))
            passed += ok
            failed += not ok
        # An output folder that cannot be created.
        p = subprocess.run([SIM, "--quiet", "--topology", TOPO, "--trace", TRACE, "--out",
                            "/proc/torta/out"], capture_output=True, text=True)
        ok = p.returncode == 2 and "/proc/torta/out" in p.stderr
        print(f"{'ok  ' if ok else 'FAIL'} unwritable --out: rc={p.returncode} {p.stderr.strip()[:160]}")
        passed += ok
        failed += not ok
        # A write that fails mid-run (the disk fills: here a 2 MB file-size limit).
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))
        out = os.path.join(tmp, "full")
        p = subprocess.run([SIM, "--quiet", "--topology", TOPO, "--trace", TRACE, "--out", out],
                           capture_output=True, text=True, preexec_fn=limit_file_size)
        ok = p.returncode != 0 and "requests.csv: write failed" in p.stderr and not os.path.exists(out)
        print(f"{'ok  ' if ok else 'FAIL'} write fails mid-run: rc={p.returncode} {p.stderr.strip()[:160]}")
        passed += ok
        failed += not ok
        p2, f2 = issue17_cases(tmp)
        passed += p2
        failed += f2
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
