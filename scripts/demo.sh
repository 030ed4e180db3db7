#!/usr/bin/env bash
# Set up medkg and run the main job end to end on the embedded store (no server needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/medkg demo "$@"
