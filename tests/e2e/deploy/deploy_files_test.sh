#!/usr/bin/env bash
# Checks the deploy files against the built binary, so that they cannot silently rot:
#  - every shared library the binary links directly comes from a package in
#    deploy/runtime-packages.txt (what deploy/container/Dockerfile installs), or from the base image;
#  - the systemd unit passes `systemd-analyze verify` (skipped where systemd is absent).
# tests/e2e/ops/deploy_files.py checks the rest of deploy/ (Kubernetes, HAProxy, Prometheus).
# Usage: deploy_files_test.sh <blueshift binary>
set -euo pipefail
BIN="$(realpath "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Runtime packages. libc6 and libgcc-s1 are in every Debian image.
mapfile -t listed < <(grep -v '^\s*#' "$ROOT/deploy/runtime-packages.txt" | sed '/^\s*$/d')
base=(libc6 libgcc-s1)
for lib in $(objdump -p "$BIN" | awk '/NEEDED/ {print $2}'); do
  # awk reads every line (no early exit): under pipefail a writer cut off by SIGPIPE would
  # end the script without a word.
  path="$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64/ && !found {print $NF; found = 1}')"
  [[ -n "$path" ]] || fail "$lib: not found by ldconfig"
  pkg="$( (dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true) | awk -F: 'NR == 1 {print $1}')"
  [[ -n "$pkg" ]] || fail "$lib ($path): no Debian package owns it"
  [[ " ${listed[*]} ${base[*]} " == *" $pkg "* ]] \
    || fail "$lib comes from $pkg, which deploy/runtime-packages.txt does not list"
done
echo "runtime packages: every NEEDED library is covered"

# 2. The systemd unit, with the binary where the unit expects it.
if command -v systemd-analyze >/dev/null; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  sed "s#/usr/local/bin/blueshift#$BIN#g" "$ROOT/deploy/systemd/blueshift.service" >"$tmp/blueshift.service"
  out="$(systemd-analyze verify "$tmp/blueshift.service" 2>&1)" || fail "systemd-analyze verify: $out"
  [[ -z "$out" ]] || fail "systemd-analyze verify warned: $out"
  echo "systemd unit: verified"
else
  echo "systemd unit: not verified (no systemd-analyze here)"
fi

echo PASS
