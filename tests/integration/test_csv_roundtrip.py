"""RFC 4180 round trip: a run over regions whose names need quoting ("Washington, DC",
'The "Hub", West') writes requests.csv; its requests, written back as a native trace by Python's
csv module (quoted fields, doubled quotes, CRLF, a BOM), run again with the same origins; a
faults file may quote a region name; malformed quoting is reported as file:line: field."""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/topo/comma_sites.json")
WORKLOAD = "poisson:rate_per_s=2,duration_s=120,input_tokens=300,output_tokens=50"
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(*args):
    return subprocess.run([SIM, "--topology", TOPO, "--quiet", *args], capture_output=True, text=True)


def rows(out):
    with open(os.path.join(out, "requests.csv"), newline="") as f:
        return list(csv.DictReader(f))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        first = os.path.join(tmp, "first")
        p = run("--workload", WORKLOAD, "--macro", "round-robin", "--out", first)
        check("run over quoted region names", p.returncode == 0, p.stderr.strip())
        reqs = sorted(rows(first), key=lambda r: (float(r["arrival_s"]), int(r["request_id"])))
        origins = {r["origin_region"] for r in reqs}
        check("requests.csv names the quoted regions", {"Washington, DC", 'The "Hub", West'} <= origins,
              str(origins))

        trace = os.path.join(tmp, "trace.csv")
        with open(trace, "w", newline="", encoding="utf-8-sig") as f:  # BOM + CRLF (csv default)
            w = csv.writer(f)
            w.writerow(["arrival_s", "input_tokens", "output_tokens", "origin_region", "model"])
            for r in reqs:
                w.writerow([r["arrival_s"], r["input_tokens"], r["output_tokens"], r["origin_region"],
                            r["model"]])
        second = os.path.join(tmp, "second")
        p = run("--trace", trace, "--macro", "local", "--out", second)
        check("requests.csv fed back as a native trace", p.returncode == 0, p.stderr.strip())
        if p.returncode == 0:
            back = sorted(rows(second), key=lambda r: (float(r["arrival_s"]), int(r["request_id"])))
            check("same requests and origins",
                  [(r["arrival_s"], r["origin_region"]) for r in back] ==
                  [(r["arrival_s"], r["origin_region"]) for r in reqs], f"{len(back)} vs {len(reqs)}")
            check("local serves at the quoted origin",
                  all(r["serve_region"] == r["origin_region"] for r in back))

        faults = os.path.join(tmp, "faults.csv")
        with open(faults, "w") as f:
            f.write('time_s,region,server,duration_s\n10,"Washington, DC",,30\n20,"The ""Hub"", West",0,5\n')
        out = os.path.join(tmp, "faults")
        p = run("--workload", WORKLOAD, "--faults", faults, "--out", out)
        ok = p.returncode == 0
        s = json.load(open(os.path.join(out, "summary.json"))) if ok else {}
        check("faults file with quoted region names", ok and s.get("server_failures", 0) >= 2,
              p.stderr.strip() or str(s.get("server_failures")))

        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write('arrival_s,input_tokens,output_tokens,origin_region\n0,10,5,Chicago\n'
                    '1,10,5,"Washington, DC"x\n')
        p = run("--trace", bad)
        check("text after a closing quote: file:line: field", p.returncode == 2 and
              "bad.csv:3: field 4: text after the closing quote" in p.stderr, p.stderr.strip())
        with open(bad, "w") as f:
            f.write('arrival_s,input_tokens,output_tokens,origin_region\n0,10,5,Chicago\n'
                    '1,10,5,"Washington, DC\n2,10,5,Chicago\n')
        p = run("--trace", bad)
        check("unclosed quote: file:line", p.returncode == 2 and
              "bad.csv:3: quoted field not closed" in p.stderr, p.stderr.strip())
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
