"""Named-entity recognition for clinical and biomedical text (CHEMICAL, DISEASE).

Split the way spaCy splits a tagger:

- :mod:`.tags` - tag utilities: the BIO tag set, allowed transitions, Viterbi
  decoding, the word chunks a transformer sees;
- :mod:`.features` - per-word features (case/shape, affixes, gazetteer);
- :mod:`.tagger` - the model: a transformer with a BIO tag head;
- :mod:`.ensemble` - several taggers averaged into one;
- :mod:`.calibration` - the decoder's outside bias, chosen on development data;
- :mod:`.component` - the spaCy component and the pipeline folder writer/loader;
- :mod:`.training` - the fine-tuning loop;
- :mod:`.spacy_trainer` and :mod:`.frozen_features` - spaCy's CNN trained from
  a config, optionally over frozen transformer features;
- :mod:`.evaluation` - entity-level precision/recall/F1;
- :mod:`.recipes` - what ``medkg train ner|ner-ensemble|ner-calibrate`` run.

A new architecture is a module beside :mod:`.tagger` (or a spaCy config beside
:mod:`.spacy_trainer`) plus one entry in ``recipes.NER_ARCHS``; the choice
between them is docs/decisions/0007. Nothing is imported here, so
``import medkg.nlp.ner.tags`` does not pull in torch or spaCy.
"""
