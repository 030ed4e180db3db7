"""Benchmark: training speed and inference latency of every model, per device and precision.

One row per model and workload for each ``device:precision`` configuration, all
measured in this run on the same real data; the named baseline is ``cpu:fp32``
(how everything runs on a machine without a GPU), and every row prints its
speed-up over it. Workloads:

* text encoder (MiniLM): ms per note at batch 1; notes/s at batch 64 (Symptom2Disease);
  on CPU also on ONNX Runtime fp32 and int8, with their vectors' lowest cosine to
  PyTorch's;
* image encoder (MONAI ResNet-18, half width): s per training epoch over
  PneumoniaMNIST train (4,708 images, batch 128); ms per image at batch 1;
* graph encoder (hetero GraphSAGE, 2 layers, dim 64): s per full-graph
  link-prediction step over the shipped Hetionet; s for all node embeddings;
* diagnosis fusion: s per 100 full-batch steps on the Symptom2Disease training
  split; ms per patient (text encoding + TF-IDF + scoring, as served);
* transformer NER (MiniLM fine-tuning): s per 1,000 BC5CDR training sentences
  (batch 32); sentences/s tagged.

Inference runs in fp32 whatever the configuration (as the service runs), so
its rows change with the device only. Default configurations: ``cpu:fp32``,
plus ``cuda:fp32`` and ``cuda:auto`` (bf16, or fp16 on GPUs without bf16)
when a GPU is visible. ``cpu:bf16`` shows what the bf16 branch costs on a CPU.

    python bench/speed.py [--configs cpu:fp32,cuda:auto] [--only image,graph] [--graph-steps 10]

Results go to ``bench/results/speed.json`` with the device names.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("text", "image", "graph", "diagnosis", "ner")
BASELINE = "cpu:fp32"


def _timed(fn: Callable[[], Any], device: str) -> float:
    from medkg.encoders.device import synchronize

    synchronize(device)
    t0 = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - t0


def device_name(device: str) -> str:
    """What the row ran on, in words: the GPU's name, or the CPU model and core count."""
    import os

    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


class Workloads:
    """The real inputs every configuration runs on, loaded once."""

    def __init__(self, settings: Any, only: set[str], graph_steps: int) -> None:
        from medkg.fusion.diagnosis import fixed_split, load_symptom2disease

        shared = settings.shared_data_dir
        self.only = only
        self.graph_steps = graph_steps
        self.npz = shared / "pneumoniamnist/pneumoniamnist.npz"
        self.examples = load_symptom2disease(shared / "symptom2disease/Symptom2Disease.csv")
        self.labels = sorted({e.label for e in self.examples})
        self.train, self.test = fixed_split(self.examples)
        self.store = self.data = self.edges = None
        if only & {"graph", "diagnosis"}:
            from _store import fresh_hetionet_store

            from medkg.encoders.graph_export import export_hetero

            print("importing the shipped Hetionet...", file=sys.stderr)
            self.store = fresh_hetionet_store("speed")
            self.data = export_hetero(self.store)
            self.edges = {et: self.data[et].edge_index for et in self.data.edge_types}
        if "ner" in only:
            from medkg.nlp.corpora.bio import read_bio

            sents = read_bio(shared / "bc5cdr/train.tsv")
            self.ner_train, self.ner_dev = sents[:1000], sents[1000:1064]


def _onnx_text_rows(reference: Any, texts: list[str], row: Callable[..., None]) -> None:
    """The text encoder on ONNX Runtime (fp32, int8), CPU: the same workloads, and
    how close its vectors are to PyTorch's (cosine, lowest over 512 notes)."""
    from medkg.encoders.onnx_runtime import onnx_available
    from medkg.encoders.text import TextEncoder

    if not onnx_available():
        return
    expected = reference.encode(texts[:512])
    with tempfile.TemporaryDirectory() as cache:
        for runtime in ("onnx", "onnx-int8"):
            enc = TextEncoder(device="cpu", runtime=runtime, cache_dir=Path(cache))  # type: ignore[arg-type]
            enc.encode(texts[:8])
            name = f"text encoder [{runtime}]"
            t = _timed(lambda e=enc: [e.encode([x]) for x in texts[:50]], "cpu")
            row(name, "one note (batch 1)", 1000 * t / 50, "ms")
            t = _timed(lambda e=enc: e.encode(texts[:512]), "cpu")
            row(name, "notes/s (batch 64)", 512 / t, "notes/s", lower=False)
            cosine = (enc.encode(texts[:512]) * expected).sum(-1).min().item()
            row(name, "lowest cosine to torch (512 notes)", cosine, "cos", lower=False)


def measure(w: Workloads, device: str, precision: str) -> list[dict[str, Any]]:
    """Rows ``{model, workload, value, unit, lower_is_better}`` for one configuration."""
    import torch

    rows: list[dict[str, Any]] = []

    def row(model: str, workload: str, value: float, unit: str, lower: bool = True) -> None:
        rows.append(
            {
                "model": model,
                "workload": workload,
                "value": round(value, 4),
                "unit": unit,
                "lower_is_better": lower,
            }
        )
        print(f"  {device}:{precision} {model}: {workload} {value:.4g} {unit}", file=sys.stderr)

    texts = [e.text for e in w.examples]
    encoder = None
    if w.only & {"text", "diagnosis"}:
        from medkg.encoders.text import TextEncoder

        encoder = TextEncoder(device=device)
        encoder.encode(texts[:8])  # warm-up: first-call allocations and kernels
    if "text" in w.only and encoder is not None:
        t = _timed(lambda: [encoder.encode([x]) for x in texts[:50]], device)
        row("text encoder", "one note (batch 1)", 1000 * t / 50, "ms")
        t = _timed(lambda: encoder.encode(texts[:512]), device)
        row("text encoder", "notes/s (batch 64)", 512 / t, "notes/s", lower=False)
        if device == "cpu":
            _onnx_text_rows(encoder, texts, row)

    if "image" in w.only:
        from medkg.encoders.image import load_medmnist
        from medkg.encoders.image_train import train_image_encoder

        res = train_image_encoder(w.npz, epochs=1, device=device, precision=precision)
        row("image encoder", "training epoch (4,708 images)", res.epoch_seconds[0], "s")
        x, _ = load_medmnist(w.npz, "test")
        model = res.model.to(device).eval()
        with torch.inference_mode():
            model(x[:1].to(device))
            t = _timed(lambda: [model(x[i : i + 1].to(device)) for i in range(100)], device)
        row("image encoder", "one image (batch 1)", 10 * t, "ms")

    if "graph" in w.only:
        from medkg.encoders.graph_train import embeddings, train_link_prediction

        res = train_link_prediction(
            w.data, w.edges, dim=64, layers=2, epochs=w.graph_steps, device=device,
            precision=precision,
        )  # fmt: skip
        steady = res.epoch_seconds[1:] or res.epoch_seconds  # step 1 holds the warm-up
        row("graph encoder", "link-prediction step (whole graph)", sum(steady) / len(steady), "s")
        t = _timed(lambda: embeddings(res.model, w.edges), device)
        row("graph encoder", "all node embeddings", t, "s")

    if "diagnosis" in w.only and encoder is not None:
        from medkg.fusion.diagnosis import (
            build_diagnosis_data,
            predict_scores,
            train_fusion_classifier,
        )
        from medkg.nlp import Extractor

        d, _ = build_diagnosis_data(
            w.examples, w.labels, Extractor(w.store, w.store.settings), encoder,
            lambda _: None, 64, lexical_fit_idx=w.train,
        )  # fmt: skip
        # a warm-up run, whose model then serves the per-patient latency row
        model = train_fusion_classifier(d, w.train, steps=5, device=device, precision=precision)
        t = _timed(
            lambda: train_fusion_classifier(
                d, w.train, steps=100, device=device, precision=precision
            ),
            device,
        )
        row("diagnosis fusion", "100 training steps (960 patients)", t, "s")
        lexical = d.lexical_features

        def serve_one(i: int) -> None:
            encoder.encode([w.examples[i].text])
            if lexical is not None:
                lexical.transform([w.examples[i].text])
            predict_scores(model, d, [i])

        t = _timed(lambda: [serve_one(i) for i in w.test[:50]], device)
        row("diagnosis fusion", "one patient (text to ranking)", 1000 * t / 50, "ms")

    if "ner" in w.only:
        from medkg.nlp.ner.training import TrfNerConfig, train_transformer_ner

        with tempfile.TemporaryDirectory() as tmp:
            cfg = TrfNerConfig(
                epochs=1, device=device, precision=precision, calibrate=False, batch_size=32
            )
            best, log = train_transformer_ner(
                w.ner_train, w.ner_dev, Path(tmp) / "ner", cfg, progress=False
            )
            row("transformer NER", "1,000 training sentences", log["log"][0]["train_s"], "s")
            import spacy

            tagger = spacy.load(best).get_pipe("ner").tagger.to(device)
            words = [s.words for s in w.ner_train[:512]]
            tagger.predict(words[:32], device)
            t = _timed(lambda: tagger.predict(words, device), device)
            row("transformer NER", "sentences/s tagged", len(words) / t, "sent/s", lower=False)
    return rows


def main() -> int:
    from medkg.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=None, help="comma-separated device:precision pairs")
    ap.add_argument("--only", default=",".join(MODELS), help=f"any of {', '.join(MODELS)}")
    ap.add_argument("--graph-steps", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/speed.json")
    args = ap.parse_args()

    import torch

    from medkg.encoders.device import resolve_device
    from medkg.encoders.precision import MixedPrecision

    only = {m.strip() for m in args.only.split(",") if m.strip()}
    if not only <= set(MODELS):
        ap.error(f"--only takes {', '.join(MODELS)}")
    configs = (
        [c.strip() for c in args.configs.split(",") if c.strip()]
        if args.configs
        else [BASELINE] + (["cuda:fp32", "cuda:auto"] if torch.cuda.is_available() else [])
    )
    if BASELINE not in configs:
        configs.insert(0, BASELINE)
    resolved = []
    for c in configs:
        dev, _, prec = c.partition(":")
        try:
            device = str(resolve_device(dev))
            name = MixedPrecision.resolve(prec or "auto", device).name
        except ValueError as exc:
            ap.error(f"{c}: {exc}")
        resolved.append((device, name, prec or "auto"))
    settings = Settings()
    needs = {
        "image": ["pneumoniamnist/pneumoniamnist.npz"],
        "graph": ["hetionet/hetionet-v1.0-nodes.tsv"],
        "diagnosis": ["hetionet/hetionet-v1.0-nodes.tsv"],
        "ner": ["bc5cdr/train.tsv"],
    }
    files = ["symptom2disease/Symptom2Disease.csv"] + [f for m in only for f in needs.get(m, [])]
    missing = sorted({f for f in files if not (settings.shared_data_dir / f).exists()})
    if missing:
        ap.error(f"missing under {settings.shared_data_dir}: {', '.join(missing)}")
    w = Workloads(settings, only, args.graph_steps)
    results: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for device, name, prec in resolved:
        key = f"{device}:{name}"
        if key in results:
            continue
        print(f"measuring {key} on {device_name(device)}...", file=sys.stderr)
        names[key] = device_name(device)
        results[key] = measure(w, device, prec)
    if w.store is not None:
        w.store.close()

    base = {(r["model"], r["workload"]): r["value"] for r in results[BASELINE]}
    print(
        f"{'model':<18} {'workload':<36} {'config':<11} {'value':>10} {'unit':<8} "
        f"{'vs ' + BASELINE:>11}"
    )
    for key, rows in results.items():
        for r in rows:
            b = base.get((r["model"], r["workload"]))
            speedup = (b / r["value"] if r["lower_is_better"] else r["value"] / b) if b else None
            r["speedup_vs_baseline"] = round(speedup, 2) if speedup else None
            print(
                f"{r['model']:<18} {r['workload']:<36} {key:<11} {r['value']:>10.4g} "
                f"{r['unit']:<8} {'' if speedup is None else f'{speedup:.2f}x':>11}"
            )
    for key, name in names.items():
        print(f"{key}: {name}")
    write_results(
        args.out,
        {
            "baseline": BASELINE,
            "devices": names,
            "torch": torch.__version__,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
