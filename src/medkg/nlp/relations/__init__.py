"""Relations between the mentions of a note.

- :mod:`.rules` - trigger patterns (TREATS, CAUSES, PRESENTS, ASSOCIATES) and
  :func:`~.rules.find_relations`, which the extractor calls per sentence;
- :mod:`.cid` - the chemical-induced-disease (CAUSES) logistic regression and its features;
- :mod:`.training` - training and scoring that classifier on BC5CDR;
- :mod:`.finetuned` - what the fine-tuned CID models share (encoder, head, files, ONNX);
- :mod:`.transformer_cid` - CAUSES per sentence pair, a fine-tuned MiniLM with markers;
- :mod:`.document_cid` - CAUSES per document: every entity pair of a note, one pass;
- :mod:`.cid_models` - the fine-tuned architectures, in the extractor's order of preference.

A new relation method is a module here that the extractor consults; its
``method`` name is written into each relation's evidence.
"""
