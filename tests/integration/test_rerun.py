"""torta-sim rerun: config.json carries the run record (inputs with their sha256, command line,
folder, commit); `rerun DIR --out NEW` from another folder reproduces the outputs byte for byte
(same fingerprint); `--config DIR/config.json` is accepted; a changed input is named and the
differing fingerprint gives exit 1; a folder without a record gives exit 2."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def fingerprint(out):
    return json.load(open(os.path.join(out, "summary.json")))["fingerprint"]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        shutil.copy(os.path.join(SRC, "tests/fixtures/traces/azure_small.csv"), os.path.join(work, "t.csv"))
        shutil.copy(os.path.join(SRC, "topologies/Abilene.gml"), os.path.join(work, "a.gml"))
        args = ["--topology", "a.gml", "--trace", "t.csv", "--rate-scale", "3", "--macro", "skylb",
                "--micro", "jsq", "--seed", "11", "--set", "server.max_batch=16", "--quiet"]
        p = subprocess.run([SIM, *args, "--out", "run1"], cwd=work, capture_output=True, text=True)
        check("first run", p.returncode == 0, p.stderr.strip())
        run1 = os.path.join(work, "run1")
        rec = json.load(open(os.path.join(run1, "config.json"))).get("run", {})
        ins = {i["role"]: i for i in rec.get("inputs", [])}
        check("record: inputs with sha256",
              ins.get("trace", {}).get("sha256") == sha256(os.path.join(work, "t.csv")) and
              ins.get("topology", {}).get("sha256") == sha256(os.path.join(work, "a.gml")), str(ins))
        check("record: command line, folder, commit, rate scale",
              rec.get("command_line", [])[1:] == args + ["--out", "run1"] and rec.get("cwd") == work
              and rec.get("commit") and rec.get("rate_scale") == 3, str(rec)[:300])

        run2 = os.path.join(tmp, "run2")
        p = subprocess.run([SIM, "rerun", run1, "--out", run2, "--quiet"], cwd=tmp,
                           capture_output=True, text=True)
        check("rerun from another folder: exit 0", p.returncode == 0, p.stderr.strip())
        if p.returncode == 0:
            check("same fingerprint", fingerprint(run1) == fingerprint(run2), fingerprint(run2))
            same = [f for f in ("requests.csv", "slots.csv", "summary.json", "config.json")
                    if open(os.path.join(run1, f), "rb").read() == open(os.path.join(run2, f), "rb").read()]
            check("byte-identical outputs", len(same) == 4, str(same))

        p = subprocess.run([SIM, *args, "--config", "run1/config.json", "--out", "run3"], cwd=work,
                           capture_output=True, text=True)
        check("--config DIR/config.json accepted", p.returncode == 0, p.stderr.strip())
        if p.returncode == 0:
            check("same fingerprint with --config", fingerprint(os.path.join(work, "run3")) == fingerprint(run1))

        trace = os.path.join(work, "t.csv")
        text = open(trace).read()
        with open(trace, "w") as f:  # one more output token for one request
            f.write(text.replace(",400,40", ",400,41"))
        p = subprocess.run([SIM, "rerun", run1, "--quiet"], cwd=tmp, capture_output=True, text=True)
        check("changed input named, exit 1", p.returncode == 1 and "input trace t.csv changed" in p.stderr,
              f"exit {p.returncode}: {p.stderr.strip()}")

        os.remove(os.path.join(run1, "config.json"))
        with open(os.path.join(run1, "config.json"), "w") as f:
            f.write("{}")
        p = subprocess.run([SIM, "rerun", run1], cwd=tmp, capture_output=True, text=True)
        check("no run record: exit 2", p.returncode == 2 and "no run record" in p.stderr, p.stderr.strip())
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
