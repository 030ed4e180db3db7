"""The trained rankers a process serves, loaded lazily and reloaded when retrained.

Why a holder: the API and the CLI must not pay for loading checkpoints (or the
text encoder) per request, and a server must pick up a model that
``medkg train fusion`` writes while it runs - so each checkpoint is cached with
its file's modification time and reloaded when that changes. A missing or
unreadable checkpoint means "not trained": the caller falls back to the
graph-only ranker and says so.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from medkg.artifacts import ModelFiles
from medkg.settings import Settings

log = logging.getLogger(__name__)


class TrainedModels:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.files = ModelFiles.of(settings)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}
        self._encoders: dict[str | None, Any] = {}
        # trial text digest -> text vector (see fusion.trial_ranker)
        self.trial_vectors: dict[str, Any] = {}
        self._phenotypes: Any = None

    def signature(self) -> tuple[float, ...]:
        """The served models' file times: a ranking cached under one signature is
        stale once any of them is retrained (they are reloaded by the same test)."""
        out = []
        for path in (self.files.treatments, self.files.diagnosis, self.files.image_encoder):
            try:
                out.append(path.stat().st_mtime)
            except OSError:
                out.append(0.0)
        return tuple(out)

    def _load(self, path: Path, loader: Any) -> Any:
        file = str(path)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            hit = self._cache.get(file)
            if hit and hit[0] == mtime:
                return hit[1]
            try:
                obj = loader(path)
            except Exception as exc:  # a broken file must not break the ranking
                log.warning("cannot load %s: %s; using the graph-only ranker", path, exc)
                obj = None
            self._cache[file] = (mtime, obj)
            return obj

    def treatments(self) -> Any:
        from medkg.fusion.treatment_model import TreatmentCheckpoint

        return self._load(self.files.treatments, TreatmentCheckpoint.load)

    def diagnosis(self) -> Any:
        from medkg.fusion.diagnosis import DiagnosisCheckpoint

        return self._load(self.files.diagnosis, DiagnosisCheckpoint.load)

    def image(self) -> tuple[Any, float] | None:
        """``(image encoder, its training positive rate)`` from ``medkg train image``."""
        from medkg.encoders.image import ImageEncoder

        def load(path: Path) -> tuple[Any, float]:
            model, meta = ImageEncoder.load_with_meta(path)
            return model.eval(), float(meta.get("train_positive_rate", 0.5))

        return self._load(self.files.image_encoder, load)

    def phenotypes(self, store: Any) -> Any:
        """The store's phenotype index (:mod:`.phenotype_ranker`), rebuilt after writes."""
        with self._lock:
            if self._phenotypes is None:
                from medkg.fusion.phenotype_ranker import PhenotypeIndexCache

                self._phenotypes = PhenotypeIndexCache()
            return self._phenotypes.get(store)

    def text_encoder(self, name: str | None) -> Any:
        """A text encoder (``None``: the configured default), loaded once per process."""
        with self._lock:
            if name not in self._encoders:
                from medkg.encoders.text import TextEncoder

                model = name or self.settings.text_model
                self._encoders[name] = TextEncoder(
                    model, device=self.settings.device, runtime=self.settings.text_runtime,
                    cache_dir=self.settings.cache_dir,
                )  # fmt: skip
            return self._encoders[name]
