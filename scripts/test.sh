#!/usr/bin/env bash
# Set up medkg and run the whole default test suite (slow and server tests are marked).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests bench
exec .venv/bin/python -m pytest "$@"
