"""Precision, recall and F1 from counts: the one scorer behind NER and relation figures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PRF:
    """True positives, false positives, false negatives; micro-averaged scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """``2PR / (P + R)``, computed from the counts (exact, and 0 without a hit)."""
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    def __iadd__(self, other: PRF) -> PRF:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self
