"""Relations between the mentions of one sentence.

- :mod:`.rules` - trigger patterns (TREATS, CAUSES, PRESENTS, ASSOCIATES) and
  :func:`~.rules.find_relations`, which the extractor calls per sentence;
- :mod:`.cid` - the chemical-induced-disease (CAUSES) classifier and its features;
- :mod:`.training` - training and scoring that classifier on BC5CDR.

A new relation method is a module here that ``find_relations`` consults; its
``method`` name is written into each relation's evidence.
"""
