"""Linking a condition by meaning: the nearest name by the packaged MiniLM's cosine
(nlp/dense_names.py), the linker's last step for a span no string step links.

The index here holds a few hundred of the vocabulary graph's condition names
(the real encoder, the real lexicon), not all 160,000: encoding those takes
minutes, and what is tested is the step, not the size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from medkg.artifacts import ModelFiles
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor
from medkg.nlp.dense_names import DenseNames
from medkg.nlp.documents import Mention
from medkg.nlp.lexicon import Lexicon
from medkg.nlp.linking import CONF_HEAD, Linker
from medkg.nlp.pipeline import graph_lexicon, set_tokenizer
from medkg.settings import Settings

pytest.importorskip("torch")

WANTED = ["hearing loss", "prolonged qt interval", "myocardial infarction", "alopecia"]


@pytest.fixture(scope="module")
def settings(vocab_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The vocabulary store's settings with a models folder of this module's own,
    so that the index built here changes no other test's extractor."""
    root = tmp_path_factory.mktemp("dense")
    return vocab_store.settings.model_copy(update={"data_dir": root})


@pytest.fixture(scope="module")
def lexicon(vocab_store: EmbeddedStore, settings: Settings) -> Lexicon:
    return graph_lexicon(vocab_store, settings)


@pytest.fixture(scope="module")
def index(lexicon: Lexicon, settings: Settings) -> DenseNames:
    from medkg.encoders.text import TextEncoder
    from medkg.nlp.dense_names import condition_keys

    keys = condition_keys(lexicon)
    assert all(k in keys for k in WANTED)
    chosen = sorted(set(WANTED) | set(keys[:: max(1, len(keys) // 300)]))
    built = DenseNames.build(lexicon, TextEncoder(device="cpu"), chosen)
    built.save(ModelFiles.of(settings).dense_names)
    return built


def _span(text: str, label: str = "DISEASE"):  # type: ignore[no-untyped-def]
    doc = set_tokenizer(spacy.blank("en"))(text)
    return doc.char_span(0, len(text), label=label)


def test_only_condition_names_are_indexed(lexicon: Lexicon, index: DenseNames) -> None:
    from medkg.nlp.dense_names import CONDITION_LABELS, condition_keys

    keys = condition_keys(lexicon)
    assert "hearing loss" in keys and "aspirin" not in keys  # a drug's name is no condition
    assert all(any(e.label in CONDITION_LABELS for e in lexicon.names[k]) for k in index.keys)
    assert index.vectors.shape == (len(index.keys), 384)


def test_a_paraphrase_no_string_step_links_is_linked_by_meaning(
    lexicon: Lexicon, index: DenseNames
) -> None:
    plain = Linker(lexicon)
    dense = Linker(lexicon, dense=index, dense_threshold=0.7)
    hearing = lexicon.resolve(lexicon.names["hearing loss"], "DISEASE")
    qt = lexicon.resolve(lexicon.names["prolonged qt interval"], "DISEASE")
    assert hearing is not None and qt is not None
    # "prolongation of the QT interval" is linked by its spelling now (the
    # complement first, the change as an adjective: decision 0051)
    spelled = plain.link(_span("prolongation of the QT interval"), {})
    assert spelled is not None and spelled.entry.node_id == qt.entry.node_id
    assert "change as adjective" in spelled.rule
    for text, want in (("auditory loss", hearing), ("lengthening of the QT interval", qt)):
        assert plain.link(_span(text), {}) is None  # no name, spelling, head or near string
        link = dense.link(_span(text), {})
        assert link is not None and link.entry.node_id == want.entry.node_id
        assert "nearest meaning" in link.rule and "'" in link.rule  # says which name
        assert link.confidence <= CONF_HEAD  # the least sure step
    # a name that matches as written never reaches the step
    exact = dense.link(_span("myocardial infarction"), {})
    assert exact is not None and "nearest meaning" not in exact.rule
    # above the threshold only, and never for chemicals
    strict = Linker(lexicon, dense=index, dense_threshold=0.99)
    assert strict.link(_span("auditory loss"), {}) is None
    assert dense.link(_span("auditory loss", "CHEMICAL"), {}) is None


def test_the_index_saved_and_memory_mapped_matches_the_same(
    index: DenseNames, settings: Settings, lexicon: Lexicon
) -> None:
    again = DenseNames.load(ModelFiles.of(settings).dense_names)
    assert again.keys == index.keys and again.digest() == index.digest()
    texts = ["auditory loss", "baldness", "heart attack"]
    for a, b in zip(index.nearest(texts), again.nearest(texts), strict=True):
        assert a is not None and b is not None
        assert a.key == b.key and abs(a.score - b.score) < 1e-5
    # among the wanted names alone (the sample around them moves with the
    # vocabularies: HPO's "thinned hair" is nearer to baldness than alopecia)
    from medkg.encoders.text import TextEncoder

    wanted = DenseNames.build(lexicon, TextEncoder(device="cpu"), WANTED)
    assert wanted.nearest(["baldness"])[0].key == "alopecia"


@pytest.fixture(scope="module")
def extractor(vocab_store: EmbeddedStore, settings: Settings, index: DenseNames) -> Extractor:
    return Extractor(vocab_store, settings)


def test_the_extractor_uses_a_built_index_and_names_it_in_its_version(
    extractor: Extractor, index: DenseNames
) -> None:
    assert extractor.dense is not None and f"dense-{index.digest()}" in extractor.version
    link = extractor.linker.link(_span("auditory loss"), {})
    assert link is not None and "nearest meaning" in link.rule


def test_a_mention_linked_by_meaning_takes_part_in_no_relation(extractor: Extractor) -> None:
    """Stored as a mention, but no CAUSES is built on a guessed concept (decision 0022)."""
    text = "Amiodarone caused auditory loss."
    sents = list(extractor.nlp(text).sents)
    drug = extractor.lexicon.lookup("amiodarone")
    link = extractor.linker.link(_span("auditory loss"), {})
    assert drug is not None and link is not None
    at = text.index("auditory loss")

    def mentions(rule: str) -> list[Mention]:
        return [
            Mention("Amiodarone", 0, 10, 0, "CHEMICAL", drug.label, drug.node_id, 0.95,
                    link_rule="name"),
            Mention("auditory loss", at, at + 13, 0, "DISEASE", link.entry.label,
                    link.entry.node_id, link.confidence, link_rule=rule),
        ]  # fmt: skip

    (by_name,) = extractor._relations(sents, mentions("NER span; synonym"))
    assert by_name.rel_type == "CAUSES" and (by_name.head, by_name.tail) == (0, 1)
    assert extractor._relations(sents, mentions(link.rule)) == []


def test_an_unreadable_index_is_left_out_with_a_warning(
    vocab_store: EmbeddedStore, tmp_path: Path
) -> None:
    """What the extractor loads at start (``_dense_names``): a broken index is
    left out with a warning, never an error that stops extraction."""
    from medkg.nlp.pipeline import _dense_names

    settings = vocab_store.settings.model_copy(update={"data_dir": tmp_path})
    files = ModelFiles.of(settings)
    assert _dense_names(files, settings) is None  # none built: nothing to load, no warning
    files.dense_names.mkdir(parents=True)
    (files.dense_names / "names.json").write_text("{not json")
    with pytest.warns(UserWarning, match="dense name index .* unreadable"):
        assert _dense_names(files, settings) is None
    (files.dense_names / "names.json").write_text('{"keys": ["a"], "encoder": null}')
    with pytest.warns(UserWarning, match="unreadable"):  # no vectors file beside it
        assert _dense_names(files, settings) is None
