#!/usr/bin/env -S /usr/bin/python3
"""Trains the macro policies shipped in configs/policies/ and records how (COMMANDS.md).

    /usr/bin/python3 scripts/train_policies.py [--build build] [--jobs N] [--retrain]

Two sets are shipped; a run uses the first file that fits its settings (docs/torta.md):
  <topology>.<variant>.json           the default settings (configs/default.json: 60 s slots,
                                      one H100 and one A100 server per region), trained on the
                                      README's trace (traces/AzureLLMInferenceTrace_conv.csv)
                                      with episode seeds 1001+, so that
                                      `torta-sim --topology T --trace ... --macro torta` runs as is;
  <topology>.<variant>.capacity.json  the capacity regime of configs/experiments/paper.json,
                                      trained by scripts/paper_experiment.py (which imports this).
The same command writes the same file; `<file>.curve.csv` is each one's learning curve.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TOPOLOGIES = ["topologies/Abilene.gml", "topologies/Geant2012.gml", "topologies/cloud-regions.json"]
VARIANTS = ["torta", "torta-no-forecast", "torta-no-smooth", "rl-only"]
DEFAULT_TRACE = "traces/AzureLLMInferenceTrace_conv.csv"
DEFAULT_RECIPE = {"horizon_steps": 240, "init_log_std": -2.5, "gamma": 0.5, "ot_supervision": 10}
DEFAULT_EPISODES = 100
COMMANDS = os.path.join("configs", "policies", "COMMANDS.md")


def network_name(sim, topo):
    """The topology's name as policy files spell it (the network name, or the file's stem)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sim, "--topology", topo, "--workload",
                        "poisson:rate_per_s=1,duration_s=1,input_tokens=1,output_tokens=1",
                        "--quiet", "--out", os.path.join(tmp, "o")], check=True, stderr=subprocess.DEVNULL)
        name = json.load(open(os.path.join(tmp, "o", "summary.json")))["topology"]["name"]
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def trained(path, episodes):
    """Whether `path` is a finished policy of `episodes` episodes (an interrupted `train` saves
    the episodes it completed, and says how many)."""
    try:
        return json.load(open(path))["meta"]["extra"]["episodes"] == episodes
    except (OSError, ValueError, KeyError, TypeError):
        return False


def train_command(sim, run_args, variant, episodes, seed, path):
    return [sim, "train", *run_args, "--macro", variant, "--episodes", str(episodes), "--seed", str(seed),
            "--quiet", "--policy-out", path, "--curve-out", path[:-5] + ".curve.csv"]


def run_all(cmds, jobs):
    """Runs the commands, `jobs` at a time; exits on the first failure."""
    procs = []
    for cmd in cmds:
        while len(procs) >= jobs:
            p = procs.pop(0)
            if p.wait() != 0:
                sys.exit(f"training failed: {' '.join(p.args)}")
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        procs.append(subprocess.Popen(cmd))
    for p in procs:
        if p.wait() != 0:
            sys.exit(f"training failed: {' '.join(p.args)}")


def shell_quote(c):
    return c if re.fullmatch(r"[\w./=:,@-]+", c) else "'" + c + "'"


def record_commands(records):
    """Rewrites COMMANDS.md with the commands of every policy file in `records` (path -> command),
    keeping the entries of other files that still exist."""
    entries = {}
    if os.path.exists(COMMANDS):
        text = open(COMMANDS).read()
        for m in re.finditer(r"^## (\S+)\n\n```sh\n(.*?)\n```", text, re.S | re.M):
            if os.path.exists(os.path.join(os.path.dirname(COMMANDS), m.group(1))):
                entries[m.group(1)] = m.group(2)
    for path, cmd in records.items():
        shown = ["torta-sim" if c.endswith("torta-sim") else c for c in cmd]
        entries[os.path.basename(path)] = " ".join(shell_quote(c) for c in shown)
    with open(COMMANDS, "w") as f:
        f.write("# How the shipped macro policies were made\n\n"
                "Each file below was written by the command beside it (run from the repository root with a\n"
                "Release build in build/), as scripts/train_policies.py (`<topology>.<variant>.json`: the\n"
                "default settings) and scripts/paper_experiment.py (`<topology>.<variant>.capacity.json`:\n"
                "the settings of configs/experiments/paper.json) issue it. The same command writes the same\n"
                "file. `<name>.curve.csv` is each one's learning curve. A run uses the first shipped file\n"
                "that fits its settings.\n\n")
        for name in sorted(entries):
            f.write(f"## {name}\n\n```sh\n{entries[name]}\n```\n\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--retrain", action="store_true", help="train even where the policy file exists")
    a = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sim = os.path.abspath(os.path.join(a.build, "torta-sim"))
    records, pending = {}, []
    for topo in TOPOLOGIES:
        net = network_name(sim, topo)
        args = ["--topology", topo, "--trace", DEFAULT_TRACE,
                "--set", "scheduler.macro_params.rl=" + json.dumps(DEFAULT_RECIPE)]
        for v in VARIANTS:
            path = os.path.join("configs", "policies", f"{net}.{v}.json")
            cmd = train_command(sim, args, v, DEFAULT_EPISODES, 1001, path)
            records[path] = cmd
            if a.retrain or not trained(path, DEFAULT_EPISODES):
                pending.append(cmd)
    run_all(pending, a.jobs)
    record_commands(records)


if __name__ == "__main__":
    main()
