"""Context and profile limits: a request longer than its model's context is served with a
warning (allow, the default), rejected with its own status, or truncated, per
server.context_policy, and counted in the summary; requests outside the range the profile was
fitted on are counted and reported once on stderr with their share."""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/one_region.json")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(tmp, tag, trace, *sets):
    out = os.path.join(tmp, tag)
    cmd = [SIM, "--topology", TOPO, "--trace", trace, "--quiet", "--out", out]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rows = {int(r["request_id"]): r for r in csv.DictReader(open(os.path.join(out, "requests.csv")))}
    return json.load(open(os.path.join(out, "summary.json")))["requests"], rows, p.stderr


def main():
    # llama2-70b: context 4096; its profiles were fitted on prompts up to 8192 tokens.
    reqs = [(100, 50), (4000, 96), (4000, 97), (3000, 2000), (9000, 100), (10, 5000), (200, 20), (500, 80)]
    over = {2, 3, 4, 5}  # prompt + output > 4096
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.csv")
        with open(trace, "w") as f:
            f.write("arrival_s,input_tokens,output_tokens\n")
            for i, (a, b) in enumerate(reqs):
                f.write(f"{i * 0.5:.6f},{a},{b}\n")
        s, rows, err = run(tmp, "allow", trace)
        check("allow: all served", s["completed"] == len(reqs) and s["rejected"] == 0, str(s))
        check("allow: over_context counted", s["over_context"] == len(over), str(s["over_context"]))
        check("allow: warned once with the share",
              err.count("longer (prompt + output) than their model's context") == 1 and "(50%)" in err, err)
        check("beyond the fit: the 9000-token prompt", s["beyond_profile_fit"]["prompt"] == 1 and
              s["beyond_profile_fit"]["any"] >= 1, str(s["beyond_profile_fit"]))
        check("beyond the fit: warned once", err.count("ran outside the range") == 1, err)

        s, rows, err = run(tmp, "reject", trace, "server.context_policy=reject")
        rejected = {i for i, r in rows.items() if r["status"] == "rejected_over_context"}
        check("reject: exactly the long ones", rejected == over, str(sorted(rejected)))
        check("reject: counted", s["rejected"] == len(over) and s["rejected_over_context"] == len(over) and
              s["completed"] == len(reqs) - len(over), str(s))

        s, rows, err = run(tmp, "truncate", trace, "server.context_policy=truncate")
        ok = s["completed"] == len(reqs) and s["truncated_to_context"] == len(over)
        for i, (a, b) in enumerate(reqs):
            inp, outp = int(rows[i]["input_tokens"]), int(rows[i]["output_tokens"])
            if i in over:
                ok &= inp + outp == 4096 and outp == min(b, 4095)
            else:
                ok &= (inp, outp) == (a, b)
        check("truncate: fits the context, output kept", ok, str(s))

        p = subprocess.run([SIM, "--topology", TOPO, "--trace", trace, "--quiet", "--out",
                            os.path.join(tmp, "bad"), "--set", "server.context_policy=trunc"],
                           capture_output=True, text=True)
        check("unknown policy: exit 2 with a suggestion", p.returncode == 2 and "truncate" in p.stderr, p.stderr)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
