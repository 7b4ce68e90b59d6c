"""output.compress = "gzip": requests.csv.gz and slots.csv.gz through zlib. Their decompressed
bytes equal the plain run's requests.csv and slots.csv; the other outputs do not change; the same seed gives the same .gz bytes (a
fixed gzip header: no name, mtime 0); the manifest lists it, so --force replaces such a folder;
`torta-sim rerun` reproduces it byte for byte; gzip:9 is a valid level; a wrong value exits 2."""
import gzip
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
BASE = ["--topology", os.path.join(SRC, "topologies/Abilene.gml"),
        "--trace", os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv"), "--duration-s", "900",
        "--seed", "5", "--quiet"]
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}".rstrip())


def run(*args):
    return subprocess.run([SIM, *args], capture_output=True, text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        plain, gz, gz2, gz9 = (os.path.join(tmp, x) for x in ("plain", "gz", "gz2", "gz9"))
        p = run(*BASE, "--out", plain)
        check("plain run exits 0", p.returncode == 0, p.stderr[-300:])
        p = run(*BASE, "--set", "output.compress=gzip", "--out", gz)
        check("gzip run exits 0", p.returncode == 0, p.stderr[-300:])
        files = sorted(os.listdir(gz))
        check("gzip run writes requests.csv.gz and slots.csv.gz, no requests.csv or slots.csv",
              {"requests.csv.gz", "slots.csv.gz"} <= set(files) and "requests.csv" not in files
              and "slots.csv" not in files, files)
        raw = read(os.path.join(gz, "requests.csv.gz"))
        text = read(os.path.join(plain, "requests.csv"))
        check("decompressed requests.csv.gz == the plain run's requests.csv (byte for byte)",
              gzip.decompress(raw) == text and len(text) > 100_000)
        check(f"smaller: {len(raw)} bytes against {len(text)} ({len(raw) / len(text):.2f})", len(raw) < len(text) / 2)
        check("gzip header fixed: no flags (no name), mtime 0, OS 255",
              raw[:4] == b"\x1f\x8b\x08\x00" and raw[4:8] == b"\0\0\0\0" and raw[9] == 255, raw[:10])
        slots = read(os.path.join(plain, "slots.csv"))
        check("decompressed slots.csv.gz == the plain run's slots.csv (byte for byte)",
              gzip.decompress(read(os.path.join(gz, "slots.csv.gz"))) == slots and len(slots) > 10_000)
        check("summary.json and latency.csv unchanged",
              all(read(os.path.join(plain, f)) == read(os.path.join(gz, f)) for f in ("summary.json", "latency.csv")))
        p = run(*BASE, "--set", "output.compress=gzip", "--out", gz2)
        check("the same seed gives the same requests.csv.gz bytes",
              p.returncode == 0 and read(os.path.join(gz2, "requests.csv.gz")) == raw)
        manifest = read(os.path.join(gz, ".torta-sim-manifest")).decode().splitlines()
        check("the manifest lists requests.csv.gz and slots.csv.gz",
              {"requests.csv.gz", "slots.csv.gz"} <= set(manifest), manifest)
        p = run(*BASE, "--set", "output.compress=gzip", "--out", gz2, "--force")
        check("--force replaces a gzip output folder", p.returncode == 0, p.stderr[-300:])
        p = run(*BASE, "--out", gz2, "--force")
        check("--force replaces it with a plain one (requests.csv, no .gz left)",
              p.returncode == 0 and sorted(os.listdir(gz2)) == sorted(os.listdir(plain)), os.listdir(gz2))
        p = subprocess.run([SIM, "rerun", gz, "--out", os.path.join(tmp, "again"), "--quiet"],
                           capture_output=True, text=True)
        check("torta-sim rerun of a gzip run: same fingerprint, same requests.csv.gz",
              p.returncode == 0 and read(os.path.join(tmp, "again", "requests.csv.gz")) == raw, p.stderr[-300:])
        p = run(*BASE, "--set", "output.compress=gzip:9", "--out", gz9)
        raw9 = read(os.path.join(gz9, "requests.csv.gz")) if p.returncode == 0 else b""
        check("gzip:9: valid, smaller, same content",
              p.returncode == 0 and len(raw9) < len(raw) and gzip.decompress(raw9) == text, p.stderr[-300:])
        p = run(*BASE, "--set", "output.compress=gzip", "--set", "output.requests_csv=false",
                "--out", os.path.join(tmp, "none"))
        none = os.listdir(os.path.join(tmp, "none")) if p.returncode == 0 else []
        check("output.requests_csv=false wins: no requests file at all, slots.csv.gz still",
              p.returncode == 0 and not any(f.startswith("requests") for f in none) and "slots.csv.gz" in none,
              none)
        for bad in ("zip", "gzip:0", "gzip:10", "1"):
            p = run(*BASE, "--set", f"output.compress={bad}", "--out", os.path.join(tmp, "bad"))
            check(f"output.compress={bad}: exit 2 naming output.compress",
                  p.returncode == 2 and "output.compress" in p.stderr and not os.path.exists(os.path.join(tmp, "bad")),
                  p.stderr[-300:])
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
