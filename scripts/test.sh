#!/usr/bin/env bash
# Set up medkg and run the whole default test suite (slow and server tests are marked).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The explorer's browser test drives Debian's Chromium (Playwright never downloads a browser).
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""; if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    echo "medkg test: installing Debian packages: chromium" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check src tests bench
# The architecture's layers and the independence of the API and the CLI (pyproject.toml).
.venv/bin/lint-imports
# Two workers by default (CI has 2 cores; each file stays on one worker, so module
# fixtures are built once); MEDKG_TEST_WORKERS=0 runs in one process.
exec .venv/bin/python -m pytest -n "${MEDKG_TEST_WORKERS:-2}" --dist loadfile "$@"
