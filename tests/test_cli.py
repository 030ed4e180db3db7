"""The ``medkg`` CLI end to end on a real embedded store in a temporary folder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medkg.cli import app, parse_params
from tests.conftest import SHARED, needs_hetionet

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_parse_params_strings_and_json() -> None:
    assert parse_params(["id=DOID:9352", "n:=3", "ids:=[\"a\", \"b\"]", "q=a=b"]) == {
        "id": "DOID:9352", "n": 3, "ids": ["a", "b"], "q": "a=b",
    }  # fmt: skip
    with pytest.raises(ValueError, match="key=value"):
        parse_params(["novalue"])
    with pytest.raises(ValueError, match="not JSON"):
        parse_params(["n:=[1,"])


@needs_hetionet
def test_import_slice_then_explore(cli_env) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("import", "hetionet", "--max-edges-per-type", "200")
    assert code == 0, out
    assert "created" in out
    code, out, _ = run("stats", "--json")
    counts = json.loads(out)
    assert counts["backend"] == "embedded" and counts["relationships"]["TREATS"] == 200
    code, out, _ = run(
        "query",
        "MATCH (d:Drug)-[:TREATS]->(x:Disease) RETURN d.id AS drug, x.id AS disease LIMIT $n",
        "--param",
        "n:=2",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert len(rows) == 2 and set(rows[0]) == {"drug", "disease"}
    drug, disease = rows[0]["drug"], rows[0]["disease"]
    code, out, _ = run("neighbours", drug, "--type", "TREATS", "--json")
    assert code == 0 and disease in {n["id"] for n in json.loads(out)}
    code, out, _ = run("paths", drug, disease, "--max-hops", "2", "--json")
    assert code == 0 and json.loads(out)[0]["relationships"] == ["TREATS"]
    code, out, _ = run("search", "diabetes", "--json")
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "MATCH (n) DETACH DELETE n"), "read-only"),
        (("query", "MATCH (n:Nope) RETURN n"), "Nope"),
        (("query", "RETURN 1", "--param", "broken"), "key=value"),
        (("neighbours", "NO:SUCH"), "no node with id"),
        (("import", "hetionet", "--dir", "/nonexistent/folder"), "directory not found"),
        (("import", "vocabularies", "--file", "hpoa=/nonexistent.hpoa"), "no such file"),
        (("import", "vocabularies", "--file", "nope=x"), "unknown vocabulary file key"),
        (("import", "vocabularies", "--file", "hpoa"), "expected KEY=PATH"),
        (("diagnose", "--entity", "X", "--image", "/nonexistent.png"), "No such file"),
        (("diagnose", "--entity", "X", "--image", __file__), "not a readable PNG or JPEG"),
        (("train", "fusion", "--device", "cpu", "--precision", "fp16"), "needs a CUDA device"),
        (("train", "graph", "--precision", "fp8"), "precision must be one of"),
        (("train", "image", "--device", "tpu"), "device"),
    ],
)
def test_user_errors_are_one_line_not_tracebacks(cli_env, args, message) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code == 1
    assert message in err and "Traceback" not in err + out


def test_docker_compose_wires_medkg_to_neo4j() -> None:
    """docker-compose.yml cannot run here (no Docker engine); check its wiring instead."""
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).parents[1] / "docker-compose.yml").read_text())
    neo4j, medkg = compose["services"]["neo4j"], compose["services"]["medkg"]
    assert neo4j["image"].startswith("neo4j:5") and "healthcheck" in neo4j
    assert medkg["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert medkg["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert "readyz" in " ".join(medkg["healthcheck"]["test"])
    assert "MEDKG_API_KEYS" in medkg["environment"]
    dockerfile = (Path(__file__).parents[1] / "Dockerfile").read_text()
    # the image ships the explorer's library where the app serves it from
    assert "vis-network.min.js" in dockerfile and "src/medkg/api/static/vendor/" in dockerfile


def test_serve_answers_on_loopback(cli_env) -> None:  # type: ignore[no-untyped-def]
    """`medkg serve` as a real process: /readyz and /v1/stats answer on 127.0.0.1."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "medkg", "serve", "--port", str(port)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ready"
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/stats", timeout=5) as r:
            assert json.loads(r.read())["backend"] == "embedded"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@needs_hetionet
def test_rankings_and_trials_from_the_cli(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert run("import", "hetionet", "--max-edges-per-type", "300")[0] == 0
    code, out, err = run("recommend", "--disease", "DOID:9352", "--limit", "3", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["method"].startswith("graph-only") and len(answer["items"]) <= 3
    assert all(i["evidence"] and i["label"] == "Drug" for i in answer["items"])
    code, _, err = run("recommend", "--disease", "DB00331")
    assert code == 1 and "not a Disease" in err and "Traceback" not in err
    # a drug the patient is allergic to leaves the top of the list, and the notes say so
    top = answer["items"][0]["id"]
    code, out, err = run(
        "recommend", "--disease", "DOID:9352", "--allergy", top, "--limit", "3", "--json"
    )
    assert code == 0, err
    held = json.loads(out)
    assert top not in [i["id"] for i in held["items"]]
    assert any("allergies" in n for n in held["notes"]), held["notes"]
    code, _, err = run("recommend", "--disease", "DOID:9352", "--allergy", "DOID:9352")
    assert code == 1 and "not a Drug id" in err and "Traceback" not in err
    # the table says which drug the patient reports an allergy to, takes or stopped
    code, out, err = run(
        "recommend", "--limit", "30", "--allergy", top, "--text",
        f"Type 2 diabetes mellitus. She takes {answer['items'][1]['name']}. "
        f"{answer['items'][2]['name']} was discontinued.",
    )  # fmt: skip
    assert code == 0, err
    # (the table wraps its cells, so words rather than phrases)
    words = set(out.replace("│", " ").split())
    assert {"takes", "stopped", "conflict:", "allergy"} <= words, out
    code, _, err = run("diagnose")
    assert code == 1 and "describe the patient" in err
    bad = tmp_path / "trials.jsonl"
    bad.write_text('{"_id": "123", "title": "x", "text": ""}\n')
    code, _, err = run("import", "trials", str(bad))
    assert code == 1 and "not an NCT id" in err


@needs_hetionet
def test_train_graph_writes_a_checkpoint_with_its_data_version(cli_env) -> None:  # type: ignore[no-untyped-def]
    import torch

    assert run("train", "graph")[0] == 1  # nothing imported yet: a clear error
    code, _, err = run("train", "fusion", "--task", "treatments")
    assert code == 1 and "import Hetionet first" in err and "Traceback" not in err
    assert run("import", "hetionet", "--max-edges-per-type", "100")[0] == 0
    code, out, err = run(
        "train", "graph", "--steps", "3", "--dim", "8", "--layers", "1", "--precision", "bf16"
    )
    assert code == 0, err
    assert "(bf16)" in out
    ckpt = torch.load(cli_env.models_dir / "graph" / "encoder.pt", weights_only=False)
    assert ckpt["config"] == {"dim": 8, "layers": 1, "conv": "sage"}
    assert ckpt["precision"] == "bf16" and ckpt["embeddings"]["Drug"].dtype == torch.float32
    assert len(ckpt["data_version"]) == 16
    assert ckpt["embeddings"]["Drug"].shape[1] == 8
    code, _, err = run("train", "fusion", "--task", "nope")
    assert code != 0 and "treatments, diagnosis or all" in err
    code, out, err = run("train", "fusion", "--task", "treatments", "--steps", "20")
    assert code == 0, err
    # Rich wraps at the terminal width and keeps the space before each break,
    # so where the line breaks (it moves with the temporary path's length)
    # must not matter: compare with whitespace runs folded to one space.
    assert "graph-encoder channel included" in " ".join(out.split())
    code, out, err = run("recommend", "--disease", "DOID:9352", "--limit", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["method"].startswith("treatment ranker")


def test_train_linker_dense_encodes_the_graphs_condition_names(cli_env) -> None:  # type: ignore[no-untyped-def]
    from medkg.kg.store.embedded import EmbeddedStore
    from medkg.nlp.dense_names import DenseNames

    train = SHARED / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
    if not train.is_file():
        pytest.skip("no BC5CDR PubTator files")
    code, _, err = run("train", "linker", "--dense")  # an empty graph: a clear error
    assert code == 1 and "import Hetionet first" in err and "Traceback" not in err
    store = EmbeddedStore(cli_env.graph_dir / "medkg.lbug", cli_env)
    store.import_nodes("Disease", [
        {"id": "DOID:1574", "name": "hearing loss", "synonyms": ["deafness"]},
        {"id": "DOID:5844", "name": "myocardial infarction", "synonyms": ["heart attack"]},
    ])  # fmt: skip
    store.import_nodes("Symptom", [{"id": "HP:0001657", "name": "Prolonged QT interval"}])
    store.import_nodes("Drug", [{"id": "DB00945", "name": "aspirin"}])
    store.close()
    code, out, err = run("train", "linker", "--dense")
    assert code == 0, err
    assert "encoded 5 condition names" in out  # two names, two synonyms, one symptom
    index = DenseNames.load(cli_env.models_dir / "linking" / "dense")
    assert "aspirin" not in index.keys and "heart attack" in index.keys
    match = index.nearest(["auditory loss"])[0]
    assert match is not None and match.key in ("hearing loss", "deafness")


def test_train_encoder_on_a_users_notes_then_ner_can_start_from_it(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("train", "ner", "--encoder", "adapted", "--epochs", "1")
    assert code == 1 and "run `medkg train encoder`" in err and "Traceback" not in err
    code, _, err = run("train", "ner", "--train-file", str(tmp_path / "mine.tsv"))
    assert code == 1 and "mine.tsv" in err and "Traceback" not in err
    code, _, err = run("train", "relations", "--arch", "document", "--encoder", "adapted")
    assert code == 1 and "run `medkg train encoder`" in err
    code, _, err = run("train", "encoder", "--no-shared-corpora")
    assert code == 1 and "no text to adapt on" in err
    code, _, err = run("train", "encoder", "--no-shared-corpora", "--text", str(tmp_path / "no"))
    assert code == 1 and "no such file or folder" in err and "Traceback" not in err
    notes = tmp_path / "notes.txt"
    notes.write_text(
        "Patient denies chest pain. History of type 2 diabetes mellitus on metformin.\n\n"
        "Hypertension treated with lisinopril; creatinine stable. No signs of heart failure.\n"
    )
    code, out, err = run("train", "encoder", "--no-shared-corpora", "--text", str(notes),
                         "--max-steps", "2", "--device", "cpu")  # fmt: skip
    assert code == 0, err
    folder = cli_env.models_dir / "encoders" / "text-adapted"
    assert f"written to {folder}" in out.replace("\n", "")
    record = json.loads((folder / "adaptation.json").read_text())
    # two short notes pack into one sequence; --max-steps stops the third pass over it
    assert record["texts"] == 2 and record["sequences"] == 1 and record["steps"] == 2
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
