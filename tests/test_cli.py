"""The ``medkg`` CLI end to end on a real embedded store in a temporary folder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medkg.cli import app, parse_params
from tests.conftest import needs_hetionet

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
    ],
)
def test_user_errors_are_one_line_not_tracebacks(cli_env, args, message) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code == 1
    assert message in err and "Traceback" not in err + out
