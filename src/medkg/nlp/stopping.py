"""Stopping an extraction part-way: a time budget and a cancel flag, checked between steps.

Why: a service reads a patient's free text while the caller waits. Its cost
grows with the text (linear since the sentence cap, but a 100,000-character
text is still most of a second of CPU on a busy machine), and a caller that
gave up should not keep a core busy. Python cannot stop a thread from outside,
so the extractor checks a :class:`StopCheck` between pipeline components,
between batches of mentions and before the relations, and raises there. The
checks cost a clock read each; batch ingest passes no check at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


class ExtractionStopped(Exception):
    """The extraction was stopped before it finished; nothing it made is returned."""


class ExtractionTimeout(ExtractionStopped):
    """The text took longer to read than its time budget (a client error: send less)."""


class ExtractionCancelled(ExtractionStopped):
    """Whoever asked for the extraction is gone (a client that disconnected)."""


@dataclass
class StopCheck:
    """A time budget counted from construction, and a flag another thread may set."""

    timeout_s: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Raise if the flag is set or the budget is spent; return otherwise."""
        if self.cancelled.is_set():
            raise ExtractionCancelled("the caller went away before the text was read")
        if self.timeout_s is not None and time.monotonic() - self.started > self.timeout_s:
            raise ExtractionTimeout(
                f"reading the patient text took over {self.timeout_s:g} s (the time allowed): "
                "send a shorter text"
            )
