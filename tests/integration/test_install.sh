#!/usr/bin/env bash
# cmake --install into a temporary prefix, then, from another folder: --version names the commit
# and the installed data; `--macro torta --micro torta-rl` finds the shipped policies relative to
# the binary (also after the prefix is moved); TORTA_DATA_DIR overrides the lookup; a plugin
# compiles against the installed headers alone and loads.
set -euo pipefail
SRC="${TORTA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${TORTA_BUILD_DIR:-$SRC/build}"
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
P="$TMP/prefix"
cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "cmake --install"; }
for f in bin/torta-sim include/torta/sched.h include/torta/plugin.h share/man/man1/torta-sim.1 \
         share/torta-sim/configs/policies/micro-torta-rl.json \
         share/torta-sim/configs/policies/Abilene.torta.json share/torta-sim/configs/default.json \
         share/torta-sim/topologies/Abilene.gml share/torta-sim/traces/AzureLLMInferenceTrace_conv.csv \
         share/torta-sim/examples/plugins/cheapest_region.c; do
  [ -e "$P/$f" ] || fail "installed tree lacks $f"
done
ok "install layout"

mkdir "$TMP/elsewhere" && cd "$TMP/elsewhere"
run_torta() { # $1: prefix
  "$1/bin/torta-sim" --topology "$1/share/torta-sim/topologies/Abilene.gml" \
    --workload poisson:rate_per_s=2,duration_s=120,input_tokens=500,output_tokens=100 \
    --macro torta --micro torta-rl --seed 3 --quiet --out "$2"
}
v=$("$P/bin/torta-sim" --version)
echo "$v" | grep -q '^commit: ' || fail "--version has no commit line: $v"
echo "$v" | grep -q '^build: build=' || fail "--version has no build options: $v"
echo "$v" | grep -q "^data: $P/share/torta-sim/configs/policies\$" || fail "--version data is not the prefix's: $v"
ok "--version: $(echo "$v" | sed -n 2p)"

run_torta "$P" out1 || fail "installed binary cannot run torta/torta-rl"
grep -q '"fingerprint"' out1/summary.json || fail "no summary.json"
ok "installed torta + torta-rl run from another folder"

mv "$P" "$TMP/moved"
M="$TMP/moved"
"$M/bin/torta-sim" --version | grep -q "^data: $M/share/torta-sim/" || fail "moved prefix: data not found relative to the binary"
run_torta "$M" out2 || fail "moved prefix cannot run torta"
fp() { grep -o '"fingerprint": *"[^"]*"' "$1/summary.json"; }
[ "$(fp out1)" = "$(fp out2)" ] || fail "moved prefix gives another run: $(fp out1) vs $(fp out2)"
ok "moved prefix: same fingerprint"

set +e
TORTA_DATA_DIR="$TMP/none" run_torta "$M" out3 2>"$TMP/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "TORTA_DATA_DIR=missing: exit $rc, expected 2"
grep -q "$TMP/none/configs/policies" "$TMP/err" || fail "TORTA_DATA_DIR not named in: $(cat "$TMP/err")"
ok "TORTA_DATA_DIR overrides the lookup"

if command -v cc >/dev/null; then
  cc -std=c11 -shared -fPIC -I"$M/include" "$M/share/torta-sim/examples/plugins/cheapest_region.c" \
     -o "$TMP/cheapest.so" || fail "plugin does not compile against the installed headers"
  "$M/bin/torta-sim" --plugin "$TMP/cheapest.so" --list-schedulers | grep -q cheapest-region ||
    fail "plugin built against installed headers does not load"
  ok "plugin against the installed headers"
fi
echo "all install checks passed"
