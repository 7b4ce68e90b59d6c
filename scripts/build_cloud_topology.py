#!/usr/bin/env -S /usr/bin/python3
"""Build topologies/cloud-regions.json (torta-sim native topology JSON) from measured cloud data.

Inputs (the data dir, default ../shared/data/topologies/cloud relative to the repo root):
  skyplane_latency.csv     measured inter-region ping RTT (ms), Skyplane, early 2022
  skyplane_throughput.csv  measured iperf3 throughput (bit/s), Skyplane, 2022-01
  skyplane_cost.csv        inter-region egress list price (USD/GB), Skyplane, 2022-05
  cloud_region_coordinates.csv  region -> latitude/longitude (tal66/cloud-regions)
  gcp_region_picker/{carbon.csv,prices.json}  GCP grid carbon intensity and regional price index

Output: a full mesh over the chosen regions. For each unordered pair:
  latency_ms     = median over both directions of avg_rtt, divided by 2 (one way)
  bandwidth_gbps = median over both directions of throughput_received / 1e9
  egress_usd_per_gb / reverse_egress_usd_per_gb = list price source -> target / target -> source
Only measurements with PREMIUM tier at both ends are used (GCP STANDARD tier is a different
network product); a pair without any PREMIUM measurement falls back to all tiers (reported).
GCP zones (us-central1-a) are folded into their region (us-central1).

Per node: lat_deg/lon_deg from cloud_region_coordinates.csv; tz_offset_h = standard-time UTC
offset of the region's IANA time zone (table below; omitted when unknown, the loader then uses
round(lon/15)); carbon_g_per_kwh = GCP grid carbon intensity of the region, or for AWS/Azure of
the nearest GCP region within --carbon-proxy-km (the grid is what matters, not the provider);
gpu_price_multiplier (GCP regions only) = regional E2 vCPU price / us-central1 price.
electricity_usd_per_kwh is left out (no source; the cluster config supplies it).

Run from the repo root:
  /usr/bin/python3 scripts/build_cloud_topology.py                # default regions, default paths
  /usr/bin/python3 scripts/build_cloud_topology.py DATA_DIR --regions aws:us-east-1,gcp:us-central1 \
      --out /tmp/two.json
"""

import argparse
import csv
import datetime
import json
import math
import os
import statistics
import sys
import zoneinfo

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEFAULT_REGIONS = [
    # North America
    "aws:us-east-1", "aws:us-west-2", "gcp:us-central1", "azure:canadacentral",
    # Europe
    "aws:eu-central-1", "azure:westeurope", "gcp:europe-west2", "gcp:europe-north1",
    # Asia
    "aws:ap-northeast-1", "gcp:asia-southeast1", "aws:ap-south-1", "azure:koreacentral",
    # South America, Oceania, Africa
    "aws:sa-east-1", "gcp:southamerica-west1", "azure:australiaeast", "aws:af-south-1",
]

# IANA time zone of each region's metro (standard-time offset is derived from it).
TIMEZONES = {
    "aws:us-east-1": "America/New_York", "aws:us-east-2": "America/New_York",
    "aws:us-west-1": "America/Los_Angeles", "aws:us-west-2": "America/Los_Angeles",
    "aws:ca-central-1": "America/Toronto", "aws:sa-east-1": "America/Sao_Paulo",
    "aws:eu-central-1": "Europe/Berlin", "aws:eu-west-1": "Europe/Dublin",
    "aws:eu-west-2": "Europe/London", "aws:eu-west-3": "Europe/Paris",
    "aws:eu-north-1": "Europe/Stockholm", "aws:eu-south-1": "Europe/Rome",
    "aws:ap-northeast-1": "Asia/Tokyo", "aws:ap-northeast-2": "Asia/Seoul",
    "aws:ap-northeast-3": "Asia/Tokyo", "aws:ap-south-1": "Asia/Kolkata",
    "aws:ap-southeast-1": "Asia/Singapore", "aws:ap-southeast-2": "Australia/Sydney",
    "aws:ap-southeast-3": "Asia/Jakarta", "aws:ap-east-1": "Asia/Hong_Kong",
    "aws:af-south-1": "Africa/Johannesburg", "aws:me-south-1": "Asia/Bahrain",
    "azure:eastus": "America/New_York", "azure:westus": "America/Los_Angeles",
    "azure:westus3": "America/Phoenix", "azure:northcentralus": "America/Chicago",
    "azure:canadacentral": "America/Toronto", "azure:brazilsouth": "America/Sao_Paulo",
    "azure:westeurope": "Europe/Amsterdam", "azure:northeurope": "Europe/Dublin",
    "azure:uksouth": "Europe/London", "azure:francecentral": "Europe/Paris",
    "azure:germanywestcentral": "Europe/Berlin", "azure:norwayeast": "Europe/Oslo",
    "azure:swedencentral": "Europe/Stockholm", "azure:switzerlandnorth": "Europe/Zurich",
    "azure:japaneast": "Asia/Tokyo", "azure:koreacentral": "Asia/Seoul",
    "azure:eastasia": "Asia/Hong_Kong", "azure:centralindia": "Asia/Kolkata",
    "azure:australiaeast": "Australia/Sydney", "azure:southafricanorth": "Africa/Johannesburg",
    "azure:uaenorth": "Asia/Dubai",
    "gcp:us-central1": "America/Chicago", "gcp:us-east1": "America/New_York",
    "gcp:us-east4": "America/New_York", "gcp:us-west1": "America/Los_Angeles",
    "gcp:us-west4": "America/Los_Angeles", "gcp:northamerica-northeast1": "America/Toronto",
    "gcp:northamerica-northeast2": "America/Toronto", "gcp:southamerica-east1": "America/Sao_Paulo",
    "gcp:southamerica-west1": "America/Santiago", "gcp:europe-west1": "Europe/Brussels",
    "gcp:europe-west2": "Europe/London", "gcp:europe-west3": "Europe/Berlin",
    "gcp:europe-west4": "Europe/Amsterdam", "gcp:europe-west6": "Europe/Zurich",
    "gcp:europe-north1": "Europe/Helsinki", "gcp:europe-central2": "Europe/Warsaw",
    "gcp:asia-east1": "Asia/Taipei", "gcp:asia-east2": "Asia/Hong_Kong",
    "gcp:asia-northeast1": "Asia/Tokyo", "gcp:asia-northeast2": "Asia/Tokyo",
    "gcp:asia-northeast3": "Asia/Seoul", "gcp:asia-south1": "Asia/Kolkata",
    "gcp:asia-south2": "Asia/Kolkata", "gcp:asia-southeast1": "Asia/Singapore",
    "gcp:asia-southeast2": "Asia/Jakarta", "gcp:australia-southeast1": "Australia/Sydney",
    "gcp:australia-southeast2": "Australia/Melbourne",
}


def region_key(name):
    """'gcp:us-central1-a' -> 'gcp:us-central1'; AWS/Azure names are regions already."""
    provider, region = name.split(":", 1)
    if provider == "gcp" and region[-2] == "-" and region[-1].isalpha():
        region = region[:-2]
    return provider + ":" + region


def great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def standard_offset_h(tz):
    """UTC offset without daylight saving, in hours (e.g. 5.5 for Asia/Kolkata)."""
    z = zoneinfo.ZoneInfo(tz)
    when = datetime.datetime(2022, 1, 15, 12, tzinfo=z)
    return (when.utcoffset() - when.dst()).total_seconds() / 3600.0


def pair_samples(path, value_col, src_col, dst_col, regions, scale):
    """{frozenset pair: (premium samples, all samples)} for pairs inside `regions`."""
    out = {}
    wanted = set(regions)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            a, b = region_key(row[src_col]), region_key(row[dst_col])
            if a == b or a not in wanted or b not in wanted:
                continue
            prem, every = out.setdefault(frozenset((a, b)), ([], []))
            x = float(row[value_col]) * scale
            every.append(x)
            if row["src_tier"] == "PREMIUM" and row["dst_tier"] == "PREMIUM":
                prem.append(x)
    return out


def load_costs(path, regions):
    """{(src, dst): median USD/GB} for PREMIUM rows (GCP zones folded into regions)."""
    acc = {}
    wanted = set(regions)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            a, b = region_key(row["src"]), region_key(row["dest"])
            if a in wanted and b in wanted and row["src_tier"] == "PREMIUM":
                acc.setdefault((a, b), []).append(float(row["cost"]))
    return {k: statistics.median(v) for k, v in acc.items()}


def load_coordinates(path):
    coords = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            coords[row["provider"] + ":" + row["region"]] = (
                float(row["latitude_deg"]), float(row["longitude_deg"]))
    return coords


def load_carbon(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {"gcp:" + r[0]: float(r[3]) for r in rows[1:] if r and r[3]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir", nargs="?",
                    default=os.path.join(REPO, "..", "shared", "data", "topologies", "cloud"))
    ap.add_argument("--regions", default=",".join(DEFAULT_REGIONS),
                    help="comma-separated provider:region list (default: 16 regions)")
    ap.add_argument("--out", default=os.path.join(REPO, "topologies", "cloud-regions.json"))
    ap.add_argument("--name", default="cloud-regions")
    ap.add_argument("--carbon-proxy-km", type=float, default=1500.0,
                    help="max distance to the GCP region whose grid carbon an AWS/Azure "
                         "region borrows (default 1500)")
    args = ap.parse_args()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    if len(set(regions)) != len(regions):
        sys.exit("duplicate regions in --regions")
    d = args.data_dir

    coords = load_coordinates(os.path.join(d, "cloud_region_coordinates.csv"))
    carbon = load_carbon(os.path.join(d, "gcp_region_picker", "carbon.csv"))
    with open(os.path.join(d, "gcp_region_picker", "prices.json")) as f:
        prices = {"gcp:" + k: v["gce"] for k, v in json.load(f).items()}
    lat = pair_samples(os.path.join(d, "skyplane_latency.csv"), "avg_rtt", "src_region",
                       "dst_region", regions, 1.0)
    thr = pair_samples(os.path.join(d, "skyplane_throughput.csv"), "throughput_received",
                       "src_region", "dst_region", regions, 1e-9)
    cost = load_costs(os.path.join(d, "skyplane_cost.csv"), regions)

    nodes = []
    for r in regions:
        if r not in coords:
            sys.exit(f"{r}: not in cloud_region_coordinates.csv")
        la, lo = coords[r]
        node = {"name": r, "lat_deg": round(la, 4), "lon_deg": round(lo, 4)}
        if r in TIMEZONES:
            node["tz_offset_h"] = standard_offset_h(TIMEZONES[r])
        if r in carbon:
            node["carbon_g_per_kwh"] = carbon[r]
        else:
            gcp = [(great_circle_km(la, lo, *coords[g]), g) for g in carbon if g in coords]
            km, g = min(gcp)
            if km <= args.carbon_proxy_km:
                node["carbon_g_per_kwh"] = carbon[g]
                print(f"note: {r} carbon from {g} ({km:.0f} km away)")
        if r in prices:
            node["gpu_price_multiplier"] = round(prices[r] / prices["gcp:us-central1"], 3)
        nodes.append(node)

    edges = []
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            key = frozenset((a, b))
            if key not in lat:
                print(f"note: no latency measured for {a} -- {b}; no direct link")
                continue
            prem, every = lat[key]
            if not prem:
                print(f"note: {a} -- {b}: no PREMIUM latency, using all tiers")
            edge = {"source": a, "target": b,
                    "latency_ms": round(statistics.median(prem or every) / 2.0, 3)}
            if key in thr:
                tp, te = thr[key]
                edge["bandwidth_gbps"] = round(statistics.median(tp or te), 3)
            else:
                print(f"note: no throughput measured for {a} -- {b}; default bandwidth")
            if (a, b) in cost:
                edge["egress_usd_per_gb"] = cost[(a, b)]
            if (b, a) in cost:
                edge["reverse_egress_usd_per_gb"] = cost[(b, a)]
            edges.append(edge)

    doc = {
        "name": args.name,
        "description": "Cloud regions (AWS, Azure, GCP) with measured inter-region latency "
                       "(Skyplane ping, one way = median RTT / 2), throughput (Skyplane iperf3, "
                       "median) and egress list prices (Skyplane, 2022). Built by "
                       "scripts/build_cloud_topology.py; see topologies/SOURCES.md.",
        "nodes": nodes,
        "edges": edges,
    }
    with open(args.out, "w") as f:
        f.write(format_doc(doc))
    print(f"wrote {args.out}: {len(nodes)} regions, {len(edges)} links")


def format_doc(doc):
    """One node or edge per line: diff-friendly and still valid JSON."""
    lines = ["{",
             f'  "name": {json.dumps(doc["name"])},',
             f'  "description": {json.dumps(doc["description"])},',
             '  "nodes": [']
    lines += ["    " + json.dumps(n) + ("," if i + 1 < len(doc["nodes"]) else "")
              for i, n in enumerate(doc["nodes"])]
    lines += ["  ],", '  "edges": [']
    lines += ["    " + json.dumps(e) + ("," if i + 1 < len(doc["edges"]) else "")
              for i, e in enumerate(doc["edges"])]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
