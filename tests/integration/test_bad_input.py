"""Bad input through the CLI: each case must exit with status 2, print a message naming the file
(or JSON path) and the field, and leave no output folder (not even a partial one)."""
import glob
import os
import resource
import signal
import subprocess
import sys
import tempfile

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
]
for path in sorted(glob.glob(os.path.join(FIX, "traces/bad/*"))):
    CASES.append(("trace " + os.path.basename(path), ["--trace", path], [os.path.basename(path)]))


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
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
