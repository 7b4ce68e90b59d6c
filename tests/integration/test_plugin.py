"""Scheduler plugins end to end: the example plugin (examples/plugins/cheapest_region.c, built by
CMake against include/ alone) is listed by --list-schedulers and routes a simulation exactly as
its policy says; a micro-scheduler plugin places requests; every faulty plugin (missing file, not
a shared object, no torta_plugin symbol, unresolved symbol, ABI or struct-size mismatch, a name
clashing with a built-in or with an earlier plugin) is refused with exit status 2 and a message
naming the file. Plugin paths come from the environment (tests/CMakeLists.txt)."""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
PLUGIN = os.environ["TORTA_PLUGIN"]
TEST = {k: os.environ[f"TORTA_TEST_PLUGIN_{k.upper()}"]
        for k in ("micro", "abi", "layout", "clash", "nosym", "unresolved")}
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
PRICES = 'regions.overrides={"Denver":{"electricity_usd_per_kwh":0.05},' \
         '"Atlanta":{"electricity_usd_per_kwh":0.08}}'
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def sim(*args, cwd=None):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd)


def run(out, *args):
    return sim("--topology", TOPO, "--trace", TRACE, "--duration-s", "300", "--quiet", "--out", out, *args)


def rows(out):
    return list(csv.DictReader(open(os.path.join(out, "requests.csv"))))


def refused(name, args, *needles):
    p = sim(*args, "--topology", TOPO, "--trace", TRACE, "--duration-s", "10", "--quiet")
    msg = p.stderr.strip()
    check(name, p.returncode == 2 and msg.startswith("torta-sim: error: ") and all(n in msg for n in needles),
          f"rc={p.returncode} stderr={msg!r}")


def main():
    # Listing: with the plugin (both spellings), and without it.
    for args in (["--plugin", PLUGIN, "--list-schedulers"], ["run", "--plugin", PLUGIN, "--list-schedulers"]):
        p = sim(*args)
        listed = [line.split()[0] for line in p.stdout.splitlines() if line.startswith("  ")]
        check(f"list with plugin ({args[0]})", p.returncode == 0 and "cheapest-region" in listed
              and "least-loaded" in listed and "jsq" in listed, p.stdout + p.stderr)
    p = sim("--list-schedulers")
    check("list without plugin", p.returncode == 0 and "cheapest-region" not in p.stdout and "skylb" in p.stdout)
    p = sim("--plugin", PLUGIN, "--plugin", TEST["micro"], "--list-schedulers")
    micro_part = p.stdout.split("micro schedulers")[-1]
    check("list with two plugins", p.returncode == 0 and "first-live" in micro_part and "cheapest-region" in p.stdout)

    with tempfile.TemporaryDirectory() as tmp:
        out = lambda name: os.path.join(tmp, name)
        # Every region has spare capacity: everything goes to the cheapest (Denver).
        p = run(out("all"), "--plugin", PLUGIN, "--macro", "cheapest-region", "--set", PRICES,
                "--set", 'scheduler.macro_params={"spare_s":1e9}')
        check("run with plugin exits 0", p.returncode == 0, p.stderr)
        r = rows(out("all"))
        s = json.load(open(os.path.join(out("all"), "summary.json")))
        check("all requests completed", len(r) == s["requests"]["arrived"] == s["requests"]["completed"] > 1000,
              s["requests"])
        check("all served in the cheapest region", {x["serve_region"] for x in r} == {"Denver"},
              {x["serve_region"] for x in r})
        # No region has spare capacity (drain time < 0 never holds): the least-loaded fallback,
        # request for request.
        p = run(out("none"), "--plugin", PLUGIN, "--macro", "cheapest-region", "--set", PRICES,
                "--set", 'scheduler.macro_params={"spare_s":0}')
        q = run(out("ll"), "--macro", "least-loaded", "--set", PRICES)
        check("fallback runs", p.returncode == 0 and q.returncode == 0, p.stderr + q.stderr)
        same = open(os.path.join(out("none"), "requests.csv")).read() == \
            open(os.path.join(out("ll"), "requests.csv")).read()
        check("no spare capacity = least-loaded, byte for byte", same)
        # Default spare_s (30 s) at the trace's rate: cheapest first, the next cheapest only when
        # the cheapest is full, and the default-priced regions last.
        p = run(out("def"), "--plugin", PLUGIN, "--macro", "cheapest-region", "--set", PRICES)
        r = rows(out("def"))
        n = {g: sum(x["serve_region"] == g for x in r) for g in {x["serve_region"] for x in r}}
        others = [v for g, v in n.items() if g not in ("Denver", "Atlanta")]
        check("default spare: Denver, then Atlanta, rarely the rest", p.returncode == 0 and
              n.get("Denver", 0) > n.get("Atlanta", 0) > 10 * max(others + [0]) and
              n["Denver"] + n["Atlanta"] > 0.95 * len(r), n)
        # Bare file name: the current folder, not the library search path.
        p = sim("--plugin", os.path.basename(PLUGIN), "--list-schedulers", cwd=os.path.dirname(PLUGIN))
        check("bare plugin file name is looked up in the current folder",
              p.returncode == 0 and "cheapest-region" in p.stdout, p.stderr)
        # The plugin's parameters go through the library's JSON helpers (symbols exported by torta-sim).
        refused("plugin param error names the path",
                ["--plugin", PLUGIN, "--macro", "cheapest-region", "--set", 'scheduler.macro_params={"spare":1}'],
                "scheduler.macro_params", "spare_s")
        # A micro-scheduler plugin.
        p = run(out("micro"), "--plugin", TEST["micro"], "--micro", "first-live", "--macro", "local")
        r = rows(out("micro"))
        per_region = {}
        for x in r:
            per_region.setdefault(x["serve_region"], set()).add(int(x["server_id"]))
        check("micro plugin: one server per region, the first", p.returncode == 0 and len(r) > 1000 and
              all(len(v) == 1 and min(v) % 2 == 0 for v in per_region.values()), per_region)

    # Without the plugin, its scheduler is unknown.
    refused("plugin scheduler needs --plugin", ["--macro", "cheapest-region"],
            'unknown macro scheduler "cheapest-region"')
    # Faulty plugins.
    refused("missing file", ["--plugin", "/nonexistent/x.so"], "plugin /nonexistent/x.so: No such file")
    readme = os.path.join(SRC, "README.md")
    refused("not a shared object", ["--plugin", readme], f"plugin {readme}: cannot load:")
    refused("no torta_plugin symbol", ["--plugin", TEST["nosym"]],
            f"plugin {TEST['nosym']}: not a torta-sim plugin: no symbol torta_plugin")
    refused("unresolved symbol", ["--plugin", TEST["unresolved"]],
            f"plugin {TEST['unresolved']}: cannot load:", "torta_no_such_function")
    refused("ABI mismatch", ["--plugin", TEST["abi"]],
            f"plugin {TEST['abi']}: built for plugin ABI 1001, this torta-sim has ABI 3")
    refused("struct size mismatch", ["--plugin", TEST["layout"]],
            f"plugin {TEST['layout']}: built against a different torta_view")
    refused("name clash with a built-in", ["--plugin", TEST["clash"]],
            f'macro scheduler "least-loaded" of plugin {TEST["clash"]}: the name is taken by a built-in scheduler')
    refused("the same plugin twice", ["--plugin", PLUGIN, "--plugin", PLUGIN],
            f'macro scheduler "cheapest-region" of plugin {PLUGIN}: the name is taken by a scheduler of an earlier plugin')
    p = sim("--plugin", TEST["abi"], "--list-schedulers")
    check("a refused plugin stops --list-schedulers too", p.returncode == 2 and "ABI" in p.stderr, p.stderr)

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
