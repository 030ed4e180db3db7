"""Models trained before the NLP code moved (``medkg.kg.extract`` -> ``medkg.nlp``)
still load and tag exactly as they did.

Saved pipelines name the component's factory (``medkg_transformer_ner``),
which the package registers by entry point, never a module path. The check
runs ``spacy.load`` in a fresh interpreter that has imported nothing of
medkg, so only that registration can find the component; it then compares the
per-word log-probabilities and tags with what the pre-move code computed from
the same files (tests/nlp/data/legacy_ner/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from medkg.nlp.corpora.bio import entity_spans

LEGACY = Path(__file__).parent / "data" / "legacy_ner"
EXPECTED = json.loads((LEGACY / "expected.json").read_text())

_PROBE = """
import json, sys
import spacy
from spacy.tokens import Doc

folder, sentences = sys.argv[1], json.loads(sys.argv[2])
assert not any(m.startswith("medkg") for m in sys.modules), "medkg imported before spacy.load"
nlp = spacy.load(folder)
tagger = nlp.get_pipe("ner").tagger
members = getattr(tagger, "members", [])
out = {
    "component": type(nlp.get_pipe("ner")).__module__,
    "log_probs": [lp.tolist() for lp in tagger.log_probs(sentences, "cpu")],
    "tags": tagger.predict(sentences, "cpu"),
    "member_log_probs": [
        [lp.tolist() for lp in m.log_probs(sentences, "cpu")] for m in members
    ],
    "ents": [
        [(e.label_, e.start, e.end) for e in nlp(Doc(nlp.vocab, words=words)).ents]
        for words in sentences
    ],
}
print(json.dumps(out))
"""


def _load_in_fresh_interpreter(folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder), json.dumps(EXPECTED["sentences"])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same_log_probs(got: list, want: list) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.array(g), np.array(w), atol=1e-5)


@pytest.mark.parametrize("name", ["single", "ensemble"])
def test_a_model_trained_before_the_move_tags_as_it_did(name: str) -> None:
    got = _load_in_fresh_interpreter(LEGACY / name / "model-best")
    assert got["component"] == "medkg.nlp.ner.component"
    _same_log_probs(got["log_probs"], EXPECTED[name]["log_probs"])
    # The saved outside bias is applied (0.25 single, -0.5 ensemble): same tags.
    assert got["tags"] == EXPECTED[name]["tags"]
    # And through the pipeline, as the extractor and bench/ner_eval.py use it.
    want_ents = [sorted(entity_spans(tags)) for tags in EXPECTED[name]["tags"]]
    assert [sorted(map(tuple, e)) for e in got["ents"]] == want_ents
    if name == "ensemble":  # member 1 carries word features and a gazetteer
        _same_log_probs(got["member_log_probs"][1], EXPECTED["features"]["log_probs"])
        _same_log_probs(got["member_log_probs"][0], EXPECTED["single"]["log_probs"])


def test_spacy_config_architectures_resolve_by_their_registered_names() -> None:
    """``--arch minilm-features`` pipelines name ``medkg.*.v1`` architectures in
    their config.cfg; a fresh interpreter finds them by entry point."""
    probe = (
        "import spacy; "
        "names = ['medkg.TransformerFeatures.v1', 'medkg.HashAndTransformerEmbed.v1']; "
        "print(*[spacy.registry.architectures.get(n).__module__ for n in names])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["medkg.nlp.ner.frozen_features"] * 2
