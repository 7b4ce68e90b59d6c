"""Capacity over time: the reactive autoscaler's lag on a demand ramp against its analytic value,
billing (minimum period, draining, spot preemption with notice), conservation with servers
starting and stopping, and load measured as offered / saturation capacity."""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
ONE = os.path.join(SRC, "tests/fixtures/core/one_region.json")
TWO = os.path.join(SRC, "tests/fixtures/core/two_regions.json")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(out, *args):
    p = subprocess.run([SIM, "--quiet", "--out", out] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit(f"torta-sim failed: {' '.join(args)}")
    s = json.load(open(os.path.join(out, "summary.json")))
    slots = list(csv.DictReader(open(os.path.join(out, "slots.csv"))))
    req = os.path.join(out, "requests.csv")
    rows = list(csv.DictReader(open(req))) if os.path.exists(req) else []
    return s, slots, rows


def servers(*groups):
    return "regions.servers=" + json.dumps([{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4,
                                             "count": n, "class": c} for c, n in groups])


# One-at-a-time service with mean 1 s: a server's saturation throughput is exactly 1 request/s.
EXP = ["--set", "server.mode=exponential", "--set", "server.service_mean_s=1"]


def write_trace(path, times, origins=None):
    with open(path, "w") as f:
        f.write("arrival_s,input_tokens,output_tokens" + (",origin_region" if origins else "") + "\n")
        for i, t in enumerate(times):
            f.write(f"{t:.6f},100,10" + (f",{origins[i]}" if origins else "") + "\n")


def ramp_test(tmp):
    """lambda(t) = l0 + k t, arrivals deterministic (the n-th where the integrated rate reaches
    n - 1/2). The autoscaler wants D(t) = lambda / target servers; it sees the offered rate of
    the slot that ended (lag slot/2), keeps a scale-up for window_up_s (its recommendation from W
    ago), and a started server admits requests after its lead time L; capacity is measured over
    a slot (another slot/2). So C(t) = ceil(D(t - L - W - slot)) and the time-average shortfall
    D - C is ramp x (L + W + slot) - 1/2 server, which is ramp x (L + W) within 5% here."""
    l0, k, horizon, target, slot, W, boot = 5.0, 0.02, 3600.0, 0.5, 10.0, 300.0, 95.0
    times, n = [], 1
    while True:
        t = (-l0 + math.sqrt(l0 * l0 + 2 * k * (n - 0.5))) / k
        if t >= horizon:
            break
        times.append(t)
        n += 1
    trace = os.path.join(tmp, "ramp.csv")
    write_trace(trace, times)
    out = os.path.join(tmp, "ramp")
    s, slots, _ = run(out, "--topology", ONE, "--trace", trace, "--macro", "local", "--micro", "jsq",
                      "--slot-s", str(slot), *EXP, "--set", servers(("on_demand", 300)),
                      "--set", "capacity.autoscaler=reactive", "--set", f"capacity.boot_s={boot}",
                      "--set", f'capacity.reactive={{"target_load": {target}, "scale_up_at": {target}, '
                      f'"scale_down_at": {target}, "window_up_s": {W}, "window_down_s": 600, '
                      f'"class": "on_demand", "initial": 10}}')
    lead = boot + 140e9 / 5e9  # boot + llama2-70b's weights at server.load_gb_per_s
    ramp = k / target          # servers per second
    short = []
    for r in slots:
        a, b = float(r["start_s"]), float(r["end_s"])
        if b - a < slot - 1e-9 or a < lead + W + 4 * slot or b > horizon:
            continue
        demand = (l0 + k * (a + b) / 2) / target   # exact mean of D over the slot
        short.append(demand - float(r["capacity_rps"]))  # capacity_rps = active servers x 1 req/s
    mean = sum(short) / len(short)
    exact = ramp * (lead + W + slot) - 0.5
    issue = ramp * (lead + W)
    check("ramp: requests conserved", s["requests"]["completed"] == len(times))
    check("ramp: shortfall = ramp x (L + W + slot) - 1/2 within 2%", abs(mean / exact - 1) < 0.02,
          f"{mean:.3f} vs {exact:.3f} servers over {len(short)} slots")
    check("ramp: shortfall = ramp x (start-up + window) within 5%", abs(mean / issue - 1) < 0.05,
          f"{mean:.3f} vs {issue:.3f}")
    check("ramp: servers started, none stopped", s["capacity"]["server_starts"] > 100 and
          s["capacity"]["server_stops"] == 0, s["capacity"])

    # TORTA's capacity plan starts servers for the slot when they will be ready, from forecasts
    # that reach the lead time: with an undamped Holt forecaster (exact on a linear ramp once its
    # trend has converged) its servers are ready when the demand arrives, to within rounding up to
    # whole servers (-1/2 on average) and the forecaster's residual lag; the same autoscaler with
    # no window lags by its start-up delay: ramp x (L + slot) - 1/2.
    def shortfall(out):
        short = []
        for r in csv.DictReader(open(os.path.join(out, "slots.csv"))):
            a, b = float(r["start_s"]), float(r["end_s"])
            if b - a >= slot - 1e-9 and a >= 600 and b <= horizon:
                short.append((l0 + k * (a + b) / 2) / target - float(r["capacity_rps"]))
        return sum(short) / len(short)
    common = ["--topology", ONE, "--trace", trace, "--micro", "jsq", "--slot-s", str(slot), *EXP,
              "--set", servers(("on_demand", 300)), "--set", f"capacity.boot_s={boot}"]
    out = os.path.join(tmp, "ramp-reactive0")
    run(out, *common, "--macro", "local", "--set", "capacity.autoscaler=reactive", "--set",
        f'capacity.reactive={{"target_load": {target}, "scale_up_at": {target}, "scale_down_at": {target}, '
        f'"window_up_s": 0, "window_down_s": 600, "class": "on_demand", "initial": 10}}')
    reactive = shortfall(out)
    lags_by = ramp * (lead + slot) - 0.5
    check("ramp: reactive scaling lags by its start-up delay, ramp x (L + slot) - 1/2 within 5%",
          abs(reactive / lags_by - 1) < 0.05, f"{reactive:.2f} vs {lags_by:.2f} servers short")
    out = os.path.join(tmp, "ramp-torta")
    run(out, *common, "--macro", "torta-no-rl", "--set",
        f'scheduler.macro_params={{"capacity": {{"target_load": {target}}}, "forecast": {{"horizon_slots": 16, '
        f'"method": "holt-winters", "hw_phi": 1}}}}')
    planned = shortfall(out)
    check("ramp: TORTA plans ahead: servers ready when the demand arrives (|shortfall| < 1 server)",
          abs(planned) < 1.0, f"{planned:.2f} servers short (reactive: {reactive:.2f})")


def billing_test(tmp):
    """One reserved and one on-demand server; the on-demand one is on for local hour 0 only.
    Its time on = 1 h + the drain of what it holds at 1 h (it admits nothing after); a 2-hour
    billing minimum bills 2 h."""
    times = [0.25 * i + 0.125 for i in range(int(3 * 3600 / 0.25))]  # 4 req/s for 3 h
    trace = os.path.join(tmp, "flat.csv")
    write_trace(trace, times)
    table = json.dumps({"default": {"on_demand": [1] + [0] * 23}})
    base = ["--topology", ONE, "--trace", trace, "--macro", "local", "--micro", "least-loaded", *EXP,
            "--set", servers(("reserved", 3), ("on_demand", 1)), "--set", "capacity.autoscaler=scheduled",
            "--set", f"capacity.scheduled={table}"]
    od_price, res_price = 6.90 * 4, 4.14 * 4
    s, slots, rows = run(os.path.join(tmp, "bill"), *base, "--set", "capacity.min_billing_s=0")
    od = [r for r in rows if r["server_id"] == "3"]
    on_s = s["cost_usd"]["on_demand"] / od_price * 3600
    last_placed = max(float(r["arrival_s"]) for r in od)  # local routing: placed on arrival
    check("on-demand server takes no request after its hour", 3599 < last_placed < 3600, f"{last_placed:.3f}")
    drain_end = max(float(r["arrival_s"]) + float(r["e2e_s"]) for r in od)
    check("billed while on and draining: 1 h + the drain", abs(on_s - drain_end) < 1e-3 and on_s > 3600,
          f"{on_s:.3f} s billed, last request left at {drain_end:.3f}")
    check("reserved billed every second of the run", abs(s["cost_usd"]["reserved"] -
          3 * res_price * s["sim_time_s"] / 3600) < 1e-6, s["cost_usd"]["reserved"])
    check("one stop", s["capacity"]["server_stops"] == 1, s["capacity"])
    s2, _, _ = run(os.path.join(tmp, "bill2"), *base, "--set", "capacity.min_billing_s=7200")
    check("billing minimum: a session shorter than 2 h bills 2 h",
          abs(s2["cost_usd"]["on_demand"] - 2 * od_price) < 1e-6, s2["cost_usd"]["on_demand"])


def spot_test(tmp):
    """Spot servers preempted at 6 per hour each: every request still completes, preemptions
    are counted, a 60 s notice lets a server finish what it holds (1 s requests), and with no
    notice what it held starts over elsewhere."""
    times = [0.5 * i + 0.25 for i in range(int(2 * 3600 / 0.5))]
    trace = os.path.join(tmp, "spot.csv")
    write_trace(trace, times)
    for notice in (60, 0):
        s, slots, rows = run(os.path.join(tmp, f"spot{notice}"), "--topology", ONE, "--trace", trace,
                             "--macro", "local", "--micro", "least-loaded", *EXP,
                             "--set", servers(("reserved", 1), ("spot", 3)),
                             "--set", "capacity.spot_preemptions_per_h=6", "--set", f"capacity.spot_notice_s={notice}")
        done = sum(r["status"] == "completed" for r in rows)
        check(f"spot, notice {notice} s: no request lost", done == len(times) == s["requests"]["completed"])
        pre = s["capacity"]["spot_preemptions"]
        check(f"spot, notice {notice} s: preemptions at about 6/h x 3 servers x 2 h", 18 <= pre <= 60, pre)
        check(f"spot, notice {notice} s: billed at spot prices", s["cost_usd"]["spot"] > 0 and
              s["cost_usd"]["on_demand"] == 0)
        if notice:
            check("spot, 60 s notice: servers drain in time, nothing restarts", s["retries"] == 0, s["retries"])
        else:
            check("spot, no notice: held requests restart elsewhere", s["retries"] > 0, s["retries"])


def cold_start_test(tmp):
    """Only an on-demand pool and no server at first: the queue counts as demand, so the reactive
    autoscaler starts servers and everything is served."""
    times = [0.25 * i + 0.125 for i in range(2400)]
    trace = os.path.join(tmp, "cold.csv")
    write_trace(trace, times)
    s, _, _ = run(os.path.join(tmp, "cold"), "--topology", ONE, "--trace", trace, "--macro", "local",
                  "--micro", "jsq", *EXP, "--set", servers(("on_demand", 8)), "--set", "capacity.autoscaler=reactive")
    check("cold start: servers started from nothing, every request served",
          s["requests"]["completed"] == len(times) and s["capacity"]["server_starts"] >= 5, s["capacity"])


def load_test(tmp):
    """Known rates routed locally: A gets 2 req/s, B 6 req/s, 10 servers of 1 req/s each: loads
    0.2 and 0.6, std 0.2, Jain (0.8)^2 / (2 (0.04 + 0.36)) = 0.8."""
    times, origins = [], []
    for name, rate in (("A", 2.0), ("B", 6.0)):
        for i in range(int(1800 * rate)):
            times.append((i + 0.5) / rate)
            origins.append(name)
    order = sorted(range(len(times)), key=lambda i: times[i])
    trace = os.path.join(tmp, "known.csv")
    write_trace(trace, [times[i] for i in order], [origins[i] for i in order])
    s, slots, _ = run(os.path.join(tmp, "known"), "--topology", TWO, "--trace", trace, "--macro", "local",
                      "--micro", "jsq", *EXP, "--set", servers(("reserved", 10)))
    full = [r for r in slots if float(r["end_s"]) <= 1800]
    ok = all(abs(float(r["load"]) - (0.2 if r["region"] == "A" else 0.6)) < 1e-6 for r in full)
    check("per-slot load = offered / capacity, exactly", ok and len(full) == 60)
    lb = s["load_balance"]
    check("region load std = 0.2", abs(lb["region_load_std"] - 0.2) < 0.005, lb["region_load_std"])
    check("region load Jain = 0.8", abs(lb["region_load_jain"] - 0.8) < 0.005, lb["region_load_jain"])
    check("busy fraction = load (M/M/c: busy = rho)", abs(lb["region_busy_fraction"] - 0.4) < 0.02,
          lb["region_busy_fraction"])


def day_test(tmp):
    """A diurnal day on Abilene with the batching server model and the reactive autoscaler over
    a pool of spot servers, preempted all day: nothing is lost."""
    lengths = os.path.join(SRC, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
    pool = "regions.servers=" + json.dumps([
        {"gpu": "a100-80gb", "model": "llama2-70b", "tp": 4, "count": 1},
        {"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 4, "class": "spot"}])
    s, slots, rows = run(os.path.join(tmp, "day"), "--topology", os.path.join(SRC, "topologies/Abilene.gml"),
                         "--workload", f"diurnal:rate_per_s=25,duration_s=86400,lengths={lengths}",
                         "--macro", "least-loaded", "--micro", "least-loaded", "--slot-s", "300",
                         "--set", pool, "--set", "capacity.autoscaler=reactive", "--set", "capacity.reactive.class=spot",
                         "--set", "capacity.spot_preemptions_per_h=0.5", "--set", "output.requests_csv=false")
    r, c = s["requests"], s["capacity"]
    check("day: arrived = completed + rejected, none in flight", r["arrived"] == r["completed"] + r["rejected"]
          and r["in_flight"] == 0 and r["arrived"] > 1000000, r)
    check("day: servers started and stopped, spot preempted", c["server_starts"] > 20 and c["server_stops"] > 20
          and c["spot_preemptions"] > 0, c)
    active = {}
    for x in slots:
        active[x["slot"]] = active.get(x["slot"], 0) + int(x["active"])
    lo, hi = min(active.values()), max(active.values())
    check("day: active servers follow demand (fewest at night, most by day)", hi > 2 * lo, f"{lo}..{hi}")


def capacity_command_test(tmp):
    """`torta-sim capacity`: exactly 1 / mean in the one-at-a-time modes; with the batching
    model an H100 server outruns an A100 one, and its figure is what a run uses as capacity."""
    wl = "poisson:rate_per_s=1,duration_s=600,input_tokens=500,output_tokens=100"
    p = subprocess.run([SIM, "capacity", "--topology", ONE, "--workload", wl, "--csv", "--set",
                        "server.mode=exponential", "--set", "server.service_mean_s=0.5"],
                       capture_output=True, text=True)
    rows = list(csv.DictReader(p.stdout.splitlines()))
    check("capacity: exponential mode gives 1 / mean", p.returncode == 0 and
          all(abs(float(r["saturation_rps"]) - 2.0) < 1e-12 for r in rows) and len(rows) == 2, p.stdout)
    p = subprocess.run([SIM, "capacity", "--topology", ONE, "--workload", wl, "--csv"], capture_output=True, text=True)
    rps = {r["gpu"]: float(r["saturation_rps"]) for r in csv.DictReader(p.stdout.splitlines())}
    s, slots, _ = run(os.path.join(tmp, "cap"), "--topology", ONE, "--workload", wl, "--slot-s", "600")
    full = [r for r in slots if float(r["end_s"]) - float(r["start_s"]) == 600]
    check("capacity: batching H100 > A100, and a run's capacity_rps is their sum",
          rps["h100-80gb"] > rps["a100-80gb"] > 0 and
          abs(float(full[0]["capacity_rps"]) - sum(rps.values())) < 1e-5, (rps, full[0]["capacity_rps"]))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ramp_test(tmp)
        billing_test(tmp)
        spot_test(tmp)
        cold_start_test(tmp)
        load_test(tmp)
        day_test(tmp)
        capacity_command_test(tmp)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
