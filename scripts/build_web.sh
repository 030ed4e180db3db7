#!/usr/bin/env bash
# Build the web explorer's static assets: install the pinned front-end libraries
# from the npm registry and copy what the page loads into the package's static
# folder. Installs Node.js/npm from Debian when missing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=src/medkg/api/static/vendor
if [ -f "$vendor/vis-network.min.js" ] && [ "$vendor/vis-network.min.js" -nt web/package.json ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""; if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    echo "medkg setup: installing Debian packages: nodejs npm" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
(cd web && npm install --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$vendor"
cp web/node_modules/vis-network/standalone/umd/vis-network.min.js "$vendor/"
cp web/node_modules/vis-network/LICENSE* "$vendor/" 2>/dev/null || true
echo "medkg setup: web explorer assets in $vendor" >&2
