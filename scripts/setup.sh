#!/usr/bin/env bash
# Installs the Debian packages torta-sim needs (only those missing) and builds it in build/.
# Used by the README's two quick-start commands; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libgsl-dev libcjson-dev libigraph-dev check libglpk-dev
          zlib1g-dev python3 python3-numpy)
if [ "${1:-}" = "--test" ]; then
  packages+=(python3-matplotlib python3-pot python3-simpy3 valgrind clang libclang-rt-dev openmpi-bin libopenmpi-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
flags=(-DCMAKE_BUILD_TYPE=Release -DTORTA_WERROR=$werror)
# Profile-guided optimisation (scripts/pgo.sh, about 20 s): redone when a source is newer than
# the profile; TORTA_PGO=0 skips it.
profile=build/pgo-profile
if [ "${TORTA_PGO:-1}" = "0" ]; then
  cmake -S . -B build "${flags[@]}" -DTORTA_PGO= >/dev/null
elif [ ! -d "$profile" ] || [ -n "$(find src include -newer "$profile" -name '*.[ch]' -print -quit)" ]; then
  echo "setup: building with profile-guided optimisation (TORTA_PGO=0 to skip)" >&2
  if ! scripts/pgo.sh build "${flags[@]}"; then
    echo "setup: the profiling run failed; building without a profile" >&2
    rm -rf "$profile"
    cmake -S . -B build "${flags[@]}" -DTORTA_PGO= >/dev/null
  fi
else
  cmake -S . -B build "${flags[@]}" -DTORTA_PGO=use >/dev/null
fi
cmake --build build -j"$(nproc)" >/dev/null
