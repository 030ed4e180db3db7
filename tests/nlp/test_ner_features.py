"""Word features of the transformer NER: shapes, stable hashes, gazetteer matching."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from medkg.nlp.ner.features import (
    FeatureEmbed,
    Gazetteer,
    WordFeatureConfig,
    feature_ids,
    gazetteer_tag_names,
    word_shape,
)
from tests.conftest import SHARED


def test_word_shape_keeps_case_and_cuts_long_runs() -> None:
    assert word_shape("Selegiline") == "Xxxxx"
    assert word_shape("MI") == "XX"
    assert word_shape("5-FU") == "d-XX"
    assert word_shape("mi") != word_shape("MI")  # what the uncased encoder cannot see


def test_gazetteer_matches_longest_names_across_tokenised_punctuation(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.tsv"
    nodes.write_text(
        "id\tname\tkind\n"
        "Compound::DB00544\tFluorouracil\tCompound\n"
        "Disease::DOID:14330\tParkinson's disease\tDisease\n"
        "Side Effect::C0020649\tHypotension\tSide Effect\n"
        "Gene::1\tTP53\tGene\n"
        "Disease::x\tMS\tDisease\n",  # under 3 characters: too ambiguous to keep
        encoding="utf-8",
    )
    g = Gazetteer.from_hetionet(nodes)
    assert g.types == ["CHEMICAL", "DISEASE"] and "tp53" not in g.names and "ms" not in g.names
    words = ["5", "-", "fluorouracil", "and", "Parkinson", "'", "s", "disease", "hypotension"]
    assert g.tags(words) == [
        "O", "O", "B-CHEMICAL", "O", "B-DISEASE", "I-DISEASE", "I-DISEASE", "I-DISEASE",
        "B-DISEASE",
    ]  # fmt: skip
    assert g.tags([]) == []
    g.save(tmp_path / "g.json")
    assert Gazetteer.load(tmp_path / "g.json") == g


def test_feature_ids_are_stable_and_index_the_embedding() -> None:
    import torch

    cfg = WordFeatureConfig()
    nodes = SHARED / "hetionet/hetionet-v1.0-nodes.tsv"
    g = Gazetteer.from_hetionet(nodes) if nodes.exists() else None
    words = ["Started", "metformin", "for", "type", "2", "diabetes", "mellitus", "."]
    ids = feature_ids(words, cfg, g)
    # crc32, not Python's salted hash: the same ids in a process with another salt.
    code = (
        "from medkg.nlp.ner.features import WordFeatureConfig, feature_ids;"
        f"print(feature_ids({words!r}, WordFeatureConfig(), None))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout  # fmt: skip
    assert ast.literal_eval(other) == [(*row[:3], 0) for row in ids]
    assert len(ids) == len(words) and all(0 <= i < cfg.buckets for row in ids for i in row[:3])
    names = gazetteer_tag_names(g)
    assert all(0 <= row[3] < len(names) for row in ids)
    if g is not None:
        assert names[ids[1][3]] == "B-CHEMICAL" and names[ids[3][3]] == "B-DISEASE"
    embed = FeatureEmbed(cfg, len(names))
    out = embed(torch.tensor([ids]))
    assert out.shape == (1, len(words), embed.out_dim)


def test_the_vocabulary_gazetteer_knows_brands_synonyms_and_mesh_types(vocab_inputs) -> None:  # type: ignore[no-untyped-def]
    """Real vocabulary files: names Hetionet lacks, typed by their source."""
    from medkg.nlp.ner.vocabulary_gazetteer import MAX_KEY, vocabulary_gazetteer

    g = vocabulary_gazetteer(SHARED / "hetionet/hetionet-v1.0-nodes.tsv", vocab_inputs)
    het = Gazetteer.from_hetionet(SHARED / "hetionet/hetionet-v1.0-nodes.tsv")
    assert len(g.names) > 50 * len(het.names)
    assert g.types == ["CHEMICAL", "DISEASE"]
    # DrugBank brand, DOID synonym, HPO lay term, MeSH entry term (tree D and tree C)
    assert g.names["tylenol"] == "CHEMICAL" and "tylenol" not in het.names
    assert g.names["heartattack"] == "DISEASE" and "heartattack" not in het.names
    assert g.names["shortstature"] == "DISEASE"  # HPO
    assert g.names["acetaminophen"] == "CHEMICAL"  # MeSH D tree (and DrugBank)
    assert g.names["hypokinesia"] == "DISEASE"  # MeSH C tree
    # a supplementary concept is typed by the descriptor it maps to
    supp_disease = next(
        r for r in vocab_inputs.mesh_supp.values()
        if r.trees and all(vocab_inputs.mesh.get(t.lstrip("*")) for t in r.trees)
        and all(x.startswith("C") for t in r.trees for x in vocab_inputs.mesh[t.lstrip("*")].trees)
        and 3 <= len("".join(c for c in r.name.lower() if c.isalnum())) <= MAX_KEY
    )  # fmt: skip
    assert g.names["".join(c for c in supp_disease.name.lower() if c.isalnum())] == "DISEASE"
    assert all(3 <= len(k) <= MAX_KEY for k in g.names)
    words = ["She", "took", "Tylenol", "after", "a", "heart", "attack", "."]
    assert g.tags(words) == ["O", "O", "B-CHEMICAL", "O", "O", "B-DISEASE", "I-DISEASE", "O"]


def test_an_unknown_gazetteer_is_a_clear_cli_error(cli_env) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from medkg.cli import app

    result = CliRunner().invoke(app, ["train", "ner", "--word-features", "--gazetteer", "umls"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "unknown gazetteer 'umls'" in result.output + (result.stderr or "")
    assert not list(cli_env.data_dir.glob("models/ner*"))  # nothing written
