"""The README's first command, end to end: ``medkg demo`` on a fresh data folder.

It is the main job (import Hetionet, query, extract from sample notes, train the
rankers small, answer), so it runs in the default suite: about three minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED, needs_hetionet

pytestmark = needs_hetionet


def test_demo_runs_end_to_end_on_a_fresh_machine(tmp_path: Path) -> None:
    if not (SHARED / "symptom2disease/Symptom2Disease.csv").exists():
        pytest.skip("no Symptom2Disease")
    env = {
        **os.environ,
        "MEDKG_DATA_DIR": str(tmp_path / "data"),
        "MEDKG_SHARED_DATA_DIR": str(SHARED),
        "MEDKG_BACKEND": "embedded",
        "COLUMNS": "200",
    }
    env.pop("NEO4J_URI", None)
    proc = subprocess.run(
        [sys.executable, "-m", "medkg", "demo"],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    # the example note's stopped drug is a fact marked discontinued
    stopped = out[out.index("Stopped drugs") :]
    assert "Glipizide" in stopped[: stopped.index("Relations extracted")]
    # trained small, then every task answered by the trained / hybrid rankers
    assert (tmp_path / "data/models/fusion/treatments.pt").is_file()
    assert (tmp_path / "data/models/fusion/diagnosis.pt").is_file()
    assert "treatment ranker" in out and "Metformin" in out
    assert "fusion model" in out and "Malaria" in out
    assert "hybrid" in out
