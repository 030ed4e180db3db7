"""The one way a benchmark writes its results: JSON with the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def write_results(out: Path, results: dict[str, Any]) -> None:
    """Write ``results`` and the machine (platform, CPU count, Python) to ``out``
    as JSON, creating its folder, and say where on stdout."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    out.write_text(json.dumps({**results, **machine}, indent=2, default=str))
    print(f"results written to {out}")
