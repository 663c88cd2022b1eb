#!/usr/bin/env bash
# Runs a test program (GoogleTest binary, python script, Java source) after the shared
# environment check, so every client test skips or fails the same way when the harness
# environment is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
e2e_require_env
trap - EXIT
exec "$@"
