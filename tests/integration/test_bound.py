"""torta-sim bound, the perfect-foresight lower bound on cost, against optima known analytically:
reserved capacity always enough (no on-demand), a step in demand (exactly the fractional servers
needed, billed from their start-up lead time earlier, whole and fractional slots of lead), a
cheaper region with cheap egress (traffic moves there up to its capacity; with dear egress it
stays), spot before on-demand, demand above every pool (exit 2 naming the slot and region). Then
the bound against a run with the reactive autoscaler on the same inputs (bound <= run), the
same origins as the run, and byte-identical outputs."""
import csv
import filecmp
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
ONE = os.path.join(SRC, "tests/fixtures/core/one_region.json")
TWO = os.path.join(SRC, "tests/fixtures/core/two_regions.json")
results = []

# One-at-a-time service with mean 1 s: a server's saturation throughput is exactly 1 request/s.
EXP = ["--set", "server.mode=exponential", "--set", "server.service_mean_s=1"]
OD, RES, SPOT = 6.90 * 4, 4.14 * 4, 2.76 * 4   # h100-80gb x tp 4, USD per server-hour
IDLE_USD_PER_S = 70 * 4 * 0.12 / 3.6e6         # idle W x tp at 0.12 USD/kWh
WEIGHTS_S = 140e9 / 5e9                        # llama2-70b's weights at server.load_gb_per_s


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def bound(out, *args):
    p = subprocess.run([SIM, "bound", "--quiet", "--out", out] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit(f"torta-sim bound failed: {' '.join(args)}")
    b = json.load(open(os.path.join(out, "bound.json")))
    slots = list(csv.DictReader(open(os.path.join(out, "bound_slots.csv"))))
    return b, slots


def servers(*groups):
    return [{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": n, "class": c} for c, n in groups]


def servers_set(*groups):
    return "regions.servers=" + json.dumps(servers(*groups))


def write_trace(path, pieces, origin=None):
    """pieces: (start_s, end_s, rate): deterministic arrivals at start + (k + 1/2) / rate."""
    times = []
    for a, b, rate in pieces:
        k = 0
        while a + (k + 0.5) / rate < b:
            times.append(a + (k + 0.5) / rate)
            k += 1
    with open(path, "w") as f:
        f.write("arrival_s,input_tokens,output_tokens" + (",origin_region" if origin else "") + "\n")
        for t in times:
            f.write(f"{t:.6f},100,10" + (f",{origin}" if origin else "") + "\n")
    return times


def reserved_enough(tmp):
    trace = os.path.join(tmp, "flat2.csv")
    times = write_trace(trace, [(0, 3600, 2.0)])
    b, slots = bound(os.path.join(tmp, "res"), "--topology", ONE, "--trace", trace, *EXP,
                     "--set", servers_set(("reserved", 3), ("on_demand", 5)))
    c, h = b["cost_usd"], times[-1]
    check("reserved enough: no on-demand server", c["on_demand"] == 0 and all(
        float(r["on_demand_servers"]) == 0 for r in slots), c)
    check("reserved enough: reserved = 3 x price x horizon", close(c["reserved"], 3 * RES * h / 3600), c["reserved"])
    check("reserved enough: total = reserved + their idle energy",
          close(c["total"], 3 * RES * h / 3600 + 3 * h * IDLE_USD_PER_S), c["total"])
    check("bound.json: LP size and status", b["lp"]["status"] == "optimal" and b["lp"]["rows"] > 0 and
          b["lp"]["cols"] > 0 and b["lp"]["method"] == "simplex" and b["slot_s"] == 60 and b["max_load"] == 1, b["lp"])


def step(tmp):
    """2 reserved servers; demand 1.5 req/s for 30 min, then 5.5: 3.5 on-demand servers (a
    fractional count) from slot 30 on, billed from the lead time before: 90 s = 1.5 slots (slot
    29 whole, half of slot 28), then 120 s = 2 slots exactly (slots 28 and 29)."""
    trace = os.path.join(tmp, "step.csv")
    times = write_trace(trace, [(0, 1800, 1.5), (1800, 3600, 5.5)])
    h = times[-1]
    for boot, billed_s, partial in ((90 - WEIGHTS_S, 3.5 * (31 * 60 + 30), {28: 1.75}),
                                    (120 - WEIGHTS_S, 3.5 * 32 * 60, {28: 3.5})):
        b, slots = bound(os.path.join(tmp, f"step{boot:.0f}"), "--topology", ONE, "--trace", trace, *EXP,
                         "--set", servers_set(("reserved", 2), ("on_demand", 10)),
                         "--set", f"capacity.boot_s={boot}")
        lead = boot + WEIGHTS_S
        active = [float(r["on_demand_servers"]) for r in slots]
        billed = [float(r["on_demand_billed"]) for r in slots]
        want_active = [0.0] * 30 + [3.5] * 30
        want_billed = [partial.get(t, 0.0 if t < 29 else 3.5) for t in range(60)]
        check(f"step, lead {lead:.0f} s: 3.5 on-demand servers exactly while demand is over reserved",
              len(active) == 60 and all(abs(a - w) < 1e-6 for a, w in zip(active, want_active)), active[28:32])
        check(f"step, lead {lead:.0f} s: billed from the lead time earlier",
              all(abs(a - w) < 1e-6 for a, w in zip(billed, want_billed)), billed[27:31])
        c = b["cost_usd"]
        check(f"step, lead {lead:.0f} s: on-demand = 3.5 servers x {billed_s / 3.5:.0f} s x price",
              close(c["on_demand"], billed_s * OD / 3600, 1e-7), f"{c['on_demand']:.6f} vs {billed_s * OD / 3600:.6f}")
        want = 2 * RES * h / 3600 + billed_s * OD / 3600 + (2 * h + billed_s) * IDLE_USD_PER_S
        check(f"step, lead {lead:.0f} s: total = reserved + on-demand + idle energy", close(c["total"], want, 1e-7),
              f"{c['total']:.6f} vs {want:.6f}")
        served = [float(r["served_rps"]) for r in slots]
        demand = [float(r["demand_rps"]) for r in slots]
        check(f"step, lead {lead:.0f} s: all demand served", all(abs(a - d) < 1e-6 for a, d in zip(served, demand)))
    # A coarser LP slot: 300 s, 12 slots.
    b, slots = bound(os.path.join(tmp, "step300"), "--topology", ONE, "--trace", trace, *EXP,
                     "--set", servers_set(("reserved", 2), ("on_demand", 10)), "--bound-slot-s", "300")
    check("--bound-slot-s 300: 12 slots, 3.5 servers in the second half", b["n_slots"] == 12 and
          abs(float(slots[6]["on_demand_servers"]) - 3.5) < 1e-6 and float(slots[5]["on_demand_servers"]) == 0)
    # At most half of saturation: 5.5 / 0.5 - 2 = 9 servers.
    b, slots = bound(os.path.join(tmp, "step-half"), "--topology", ONE, "--trace", trace, *EXP,
                     "--set", servers_set(("reserved", 2), ("on_demand", 10)), "--max-load", "0.5")
    check("--max-load 0.5: 9 on-demand servers at 5.5 req/s over 2 reserved",
          abs(float(slots[40]["on_demand_servers"]) - 9) < 1e-6 and abs(float(slots[10]["on_demand_servers"]) - 1) < 1e-6,
          (slots[10]["on_demand_servers"], slots[40]["on_demand_servers"]))


def spot_first(tmp):
    trace = os.path.join(tmp, "flat2b.csv")
    write_trace(trace, [(0, 1800, 2.0)])
    b, slots = bound(os.path.join(tmp, "spot"), "--topology", ONE, "--trace", trace, *EXP,
                     "--set", servers_set(("on_demand", 5), ("spot", 1)))
    check("spot before on-demand: 1 spot + 1 on-demand server",
          all(abs(float(r["spot_servers"]) - 1) < 1e-6 and abs(float(r["on_demand_servers"]) - 1) < 1e-6
              for r in slots), (slots[0]["spot_servers"], slots[0]["on_demand_servers"]))
    check("spot billed at the spot price", close(b["cost_usd"]["spot"], SPOT * 0.5), b["cost_usd"]["spot"])


def two_regions(tmp):
    """All demand (5 req/s) from A; B's servers cost half and hold 3 req/s; egress is cheap: B
    serves 3 req/s, A 2. With egress dearer than the saving, everything stays in A."""
    topo = os.path.join(tmp, "cheap_egress.json")
    json.dump({"name": "cheap-egress", "nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0},
                                                  {"name": "B", "lat_deg": 0, "lon_deg": 10}],
               "edges": [{"source": "A", "target": "B", "latency_ms": 20, "bandwidth_gbps": 10,
                          "egress_usd_per_gb": 0.001}]}, open(topo, "w"))
    trace = os.path.join(tmp, "fromA.csv")
    write_trace(trace, [(0, 1800, 5.0)], origin="A")
    ovr = "regions.overrides=" + json.dumps({"A": {"servers": servers(("on_demand", 10))},
                                             "B": {"servers": servers(("on_demand", 3)), "gpu_price_multiplier": 0.5}})
    args = ["--topology", topo, "--trace", trace, *EXP, "--set", ovr]
    b, slots = bound(os.path.join(tmp, "two"), *args)
    by = {(r["slot"], r["region"]): r for r in slots}
    ok = all(abs(float(by[(str(t), "B")]["served_rps"]) - 3) < 1e-6 and
             abs(float(by[(str(t), "A")]["served_rps"]) - 2) < 1e-6 and
             abs(float(by[(str(t), "B")]["on_demand_servers"]) - 3) < 1e-6 for t in range(30))
    check("cheap region, cheap egress: B serves up to its capacity (3 req/s), A the rest", ok,
          (by[("5", "A")]["served_rps"], by[("5", "B")]["served_rps"]))
    c = b["cost_usd"]
    moved = 3 * 1800
    check("egress of the moved requests: 110 tokens x 4 B x 0.001 USD/GB",
          close(c["network"], moved * 440 * 0.001 / 1e9, 1e-6), c["network"])
    check("on-demand: 2 servers in A, 3 at half price in B, for 30 min",
          close(c["on_demand"], (2 * OD + 3 * OD / 2) * 0.5, 1e-7), c["on_demand"])
    regions = {r["name"]: r for r in b["regions"]}
    check("bound.json regions: served_from_other_regions", close(regions["B"]["served_from_other_regions"], moved, 1e-7)
          and regions["A"]["served_from_other_regions"] == 0, regions["B"]["served_from_other_regions"])
    b, slots = bound(os.path.join(tmp, "two-dear"), *args, "--set", "network.bytes_per_token=1e9")
    check("dear egress (0.11 USD a request): nothing moves", all(
        float(r["served_rps"]) == 0 for r in slots if r["region"] == "B") and b["cost_usd"]["network"] == 0)


def infeasible(tmp):
    trace = os.path.join(tmp, "over.csv")
    write_trace(trace, [(0, 600, 4.0)])
    p = subprocess.run([SIM, "bound", "--quiet", "--topology", ONE, "--trace", trace, *EXP,
                        "--set", servers_set(("reserved", 1), ("on_demand", 1))], capture_output=True, text=True)
    msg = p.stderr.strip()
    check("demand above every pool: exit 2, naming the slot and the region", p.returncode == 2 and
          "slot 0" in msg and "region A" in msg, f"rc {p.returncode}: {msg[:160]}")


def against_run(tmp):
    """A 6-hour diurnal demand over two regions, 1 reserved + 12 on-demand servers each: the run
    (reactive autoscaler) costs at least the bound, compared on the components the bound
    includes (its energy is idle only: the run's, busy included, is higher still)."""
    pool = servers_set(("reserved", 1), ("on_demand", 12))
    args = ["--topology", TWO, "--workload",
            "diurnal:rate_per_s=8,duration_s=21600,start_hour=6,input_tokens=100,output_tokens=10",
            *EXP, "--set", pool, "--set", "capacity.autoscaler=reactive"]
    out = os.path.join(tmp, "run")
    p = subprocess.run([SIM, "--quiet", "--out", out, "--set", "output.requests_csv=false"] + args,
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit("torta-sim run failed")
    s = json.load(open(os.path.join(out, "summary.json")))
    rc = s["cost_usd"]
    comparable = rc["total"] - rc["switching"] - rc["migration"] - rc["carbon"]
    b, slots = bound(os.path.join(tmp, "b1"), *args)
    bc = b["cost_usd"]
    check("bound <= run (reactive), components the bound includes", bc["total"] <= comparable,
          f"bound {bc['total']:.2f} vs run {comparable:.2f} USD ({bc['total'] / comparable:.3f})")
    check("bound <= run per component", bc["reserved"] <= rc["reserved"] and bc["on_demand"] <= rc["on_demand"]
          and bc["energy_idle"] <= rc["energy"] and bc["network"] <= rc["network"] + 1e-12, bc)
    run_slots = {(r["slot"], r["region"]): float(r["arrivals"]) for r in csv.DictReader(open(os.path.join(out, "slots.csv")))}
    same = all(abs(float(r["demand_rps"]) * 60 - run_slots[(r["slot"], r["region"])]) < 1e-3 for r in slots)
    check("demand per slot and origin = the run's arrivals (same origins)", same and len(slots) == 720)
    b2, _ = bound(os.path.join(tmp, "b2"), *args)
    check("same inputs: byte-identical bound.json and bound_slots.csv",
          filecmp.cmp(os.path.join(tmp, "b1/bound.json"), os.path.join(tmp, "b2/bound.json"), shallow=False) and
          filecmp.cmp(os.path.join(tmp, "b1/bound_slots.csv"), os.path.join(tmp, "b2/bound_slots.csv"), shallow=False))
    b3, _ = bound(os.path.join(tmp, "b1"), *args, "--lp-method", "interior", "--force")  # replaces an earlier bound's folder
    check("interior point: the same optimum", close(b3["cost_usd"]["total"], bc["total"], 1e-5) and
          b3["lp"]["method"] == "interior", f"{b3['cost_usd']['total']:.6f} vs {bc['total']:.6f}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        reserved_enough(tmp)
        step(tmp)
        spot_first(tmp)
        two_regions(tmp)
        infeasible(tmp)
        against_run(tmp)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
