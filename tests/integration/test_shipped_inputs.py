"""Every shipped topology and every shipped trace loads and runs, with every request accounted
for (the length-only ShareGPT file runs as a synthetic workload's `lengths=`)."""
import glob
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
results = []


def check(name, args, tmp):
    out = os.path.join(tmp, str(len(results)))
    p = subprocess.run([SIM, *args, "--quiet", "--out", out], capture_output=True, text=True)
    ok = p.returncode == 0
    detail = p.stderr.strip()[-200:]
    s = None
    if ok:
        s = json.load(open(os.path.join(out, "summary.json")))
        r = s["requests"]
        ok = r["arrived"] > 0 and r["arrived"] == r["completed"] + r["rejected"] and r["in_flight"] == 0
        detail = f"{r['arrived']} requests, {r['completed']} completed"
        if name == "Cogentco.gml":  # its 11 hyperedge nodes (shared links) host no servers
            t = s["topology"]
            ok = ok and t["sites"] == 197 and t["regions"] == 186
            detail += f", {t['sites']} sites, {t['regions']} regions"
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")


def main():
    lengths = os.path.join(SRC, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
    with tempfile.TemporaryDirectory() as tmp:
        for topo in sorted(glob.glob(os.path.join(SRC, "topologies/*.gml")) + glob.glob(os.path.join(SRC, "topologies/*.json"))):
            check(os.path.basename(topo), ["--topology", topo, "--workload",
                                           f"poisson:rate_per_s=20,duration_s=120,lengths={lengths}"], tmp)
        abilene = os.path.join(SRC, "topologies/Abilene.gml")
        for trace in sorted(glob.glob(os.path.join(SRC, "traces/*"))):
            name = os.path.basename(trace)
            if name.endswith(".md") or name.startswith("sharegpt") or name.startswith("."):
                continue
            check(name, ["--topology", abilene, "--trace", trace, "--duration-s", "300"], tmp)
        check("sharegpt lengths", ["--topology", abilene, "--workload",
                                   f"gamma:rate_per_s=5,cv=2,duration_s=300,lengths={lengths}"], tmp)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
