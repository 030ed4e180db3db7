"""``medkg demo``: the main job end to end on the configured store.

Import Hetionet and the vocabularies, query it, learn how annotators name
concepts, extract from sample notes, import sample trials, train the rankers
small and answer for two patients. It goes through the same public functions a
user's commands and the API do (the importers, ``Extractor``/
``ingest_documents``, ``train_*``, ``rank_patient``), sharing
one store, extraction pipeline and set of loaded models across its steps.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from medkg.artifacts import ModelFiles
from medkg.cli.common import console, err_console, result_table, show_ranking, store_from_settings
from medkg.cli.explore import stats
from medkg.cli.imports import (
    import_hetionet_cmd,
    import_vocabularies_cmd,
    print_trial_import,
)
from medkg.cli.train import train_linker_cmd, train_relations_cmd
from medkg.nlp.corpora.pubtator import BC5CDR_TRAIN
from medkg.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from medkg.kg.store import GraphStore
    from medkg.nlp.pipeline import Extractor

app = typer.Typer()

EXAMPLE_QUERIES = [
    (
        "Drugs that treat type 2 diabetes mellitus (DOID:9352)",
        "MATCH (d:Drug)-[:TREATS]->(x:Disease {id: $id}) RETURN d.id AS id, d.name AS drug "
        "ORDER BY drug",
        {"id": "DOID:9352"},
    ),
    (
        "Diseases with the most associated genes",
        "MATCH (x:Disease)-[:ASSOCIATES]->(g:Gene) RETURN x.name AS disease, count(g) AS genes "
        "ORDER BY genes DESC LIMIT 5",
        {},
    ),
]
PATIENT = "58-year-old woman with type 2 diabetes mellitus and obesity. Denies chest pain."
SYMPTOMS = (
    "For three days I have had a high fever with chills and heavy sweating every "
    "evening, a bad headache and nausea."
)


@app.command()
def demo() -> None:
    """The main job end to end: import Hetionet, answer examples, extract from sample notes."""
    from medkg.fusion.rank import rank_patient
    from medkg.fusion.trained import TrainedModels
    from medkg.kg.importers.trials import import_trials, read_trials
    from medkg.nlp.pipeline import Extractor

    settings = get_settings()
    err_console.print(f"[bold]medkg demo[/bold] on the {settings.resolved_backend} store")
    import_hetionet_cmd(directory=None, nodes=None, edges_dir=None, sif=None, json_file=None,
                        max_edges_per_type=None)  # fmt: skip
    import_vocabularies_cmd(file=None)
    stats(as_json=False)
    with store_from_settings() as store:
        for title, cypher, params in EXAMPLE_QUERIES:
            console.print(result_table(store.query(cypher, params), title))
        console.print(
            "[bold]Shortest paths metformin (DB00331) -> type 2 diabetes (DOID:9352)[/bold]"
        )
        for p in store.paths("DB00331", "DOID:9352", max_hops=2, limit=5):
            console.print("  " + p.describe(), highlight=False, markup=False)
    if (settings.shared_data_dir / BC5CDR_TRAIN).is_file():
        if not ModelFiles.of(settings).cid.is_file():
            train_relations_cmd(train=None, exclude=None)  # seconds
        train_linker_cmd(train=None, exclude=None)  # how annotators name concepts (seconds)
    shared = settings.shared_data_dir
    samples = shared / "mtsamples" / "mtsamples.csv"
    trials = shared / "trialgpt" / "sigir" / "corpus-sample.jsonl"
    with store_from_settings() as store:
        extractor = Extractor(store, settings)  # built once: it takes seconds
        if samples.exists():
            _extract(store, extractor, samples)
        if trials.exists():
            print_trial_import(import_trials(store, read_trials(trials), extractor.link_texts))
        _train(store, extractor, settings)
        models = TrainedModels(settings)  # loaded once for the three answers
        console.print(f"[bold]Patient:[/bold] {PATIENT}")
        for task in ("treatments", "trials"):
            ranking = rank_patient(task, store, models, extractor=extractor, text=PATIENT,
                                   limit=5)  # fmt: skip
            show_ranking(ranking, as_json=False)
        console.print(f"[bold]Patient:[/bold] {SYMPTOMS}")
        dx = rank_patient("diagnosis", store, models, extractor=extractor, text=SYMPTOMS, limit=5)
        show_ranking(dx, as_json=False)
    console.print("Serve the API and the web explorer with: medkg serve  (http://127.0.0.1:8000/)")


def _train(store: GraphStore, extractor: Extractor, settings: Settings) -> None:
    """Train small: the treatment ranker (seconds) and, with Symptom2Disease, the
    diagnosis fusion model (about a minute); the rankings then use them."""
    from medkg.fusion.training import train_diagnosis, train_treatments

    console.print("[bold]Training the ranking models (small)...[/bold]")
    path, meta = train_treatments(store, settings, steps=150)
    console.print(f"treatment ranker: {meta['treated_diseases']} treated diseases -> {path}")
    data = settings.shared_data_dir / "symptom2disease" / "Symptom2Disease.csv"
    if data.exists():
        path, meta = train_diagnosis(store, extractor, settings, data, steps=200)
        console.print(
            f"diagnosis model: held-out top-1 {meta['test_top1']:.3f}, "
            f"top-5 {meta['test_top5']:.3f} -> {path}"
        )


def _extract(store: GraphStore, extractor: Extractor, samples: Path, n_notes: int = 20) -> None:
    """Extract from the first MTSamples reports and the example notes; show what became facts."""
    from medkg.nlp.documents import NoteInput
    from medkg.nlp.ingest import ingest_documents

    with samples.open(encoding="utf-8", newline="") as fh:
        texts = [r["transcription"] for r in csv.DictReader(fh) if r["transcription"].strip()]
    notes = [NoteInput(f"mtsamples-{i}", t) for i, t in enumerate(texts[:n_notes])]
    examples = PROJECT_ROOT / "examples" / "notes"
    notes += [NoteInput(p.stem, p.read_text()) for p in sorted(examples.glob("*.txt"))]
    result = ingest_documents(store, extractor.extract(notes))
    console.print(
        f"[bold]Extraction from {n_notes} MTSamples reports and the example notes:[/bold] "
        f"{result.as_dict()}"
    )
    top = store.query(
        "MATCH (d:Document)-[r:MENTIONS]->(e) RETURN e.name AS entity, count(d) AS documents "
        "ORDER BY documents DESC, entity LIMIT 8"
    )
    console.print(result_table(top, "Most mentioned entities (affirmed mentions only)"))
    allergies = store.query(
        "MATCH (d:Document)-[:REPORTS_ALLERGY]->(x:Drug) RETURN x.name AS drug, "
        "collect(d.id) AS documents ORDER BY drug LIMIT 8"
    )
    console.print(result_table(allergies, "Reported drug allergies (no drug facts)"))
    stopped = store.query(
        "MATCH (d:Document)-[r:MENTIONS]->(x:Drug) WHERE r.discontinued = true "
        "RETURN x.name AS drug, collect(d.id) AS documents ORDER BY drug LIMIT 8"
    )
    console.print(result_table(stopped, "Stopped drugs (discontinued facts)"))
    rels = store.query(
        "MATCH (a)-[r]->(b) WHERE r.source = 'extraction' "
        "AND NOT type(r) IN ['MENTIONS', 'REPORTS_ALLERGY'] "
        "RETURN type(r) AS relation, a.name AS head, b.name AS tail, r.confidence AS conf "
        "ORDER BY conf DESC LIMIT 8"
    )
    console.print(result_table(rels, "Relations extracted from the notes"))
