#!/usr/bin/env bash
# Build the web explorer's static assets: install the pinned front-end libraries
# from the npm registry, copy vis-network and bundle Neo4j's Cypher editor (esbuild)
# into the package's static folder. Installs Node.js/npm from Debian when missing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=src/medkg/api/static/vendor
built="$vendor/cypher-editor.js"
if [ -f "$vendor/vis-network.min.js" ] && [ -f "$built" ] && [ "$built" -nt web/package.json ] \
    && [ "$built" -nt web/cypher-editor.js ]; then
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
# Neo4j's Cypher editor (CodeMirror 6, ES modules): one browser bundle plus its CSS.
web/node_modules/.bin/esbuild web/cypher-editor.js --bundle --minify --format=iife \
    --log-level=warning --outfile="$vendor/cypher-editor.js"
# @neo4j-cypher/* are Apache-2.0 (like vis-network's LICENSE-APACHE-2.0 above); CodeMirror is MIT.
cp web/node_modules/@codemirror/view/LICENSE "$vendor/LICENSE-codemirror-MIT"
echo "medkg setup: web explorer assets in $vendor" >&2
