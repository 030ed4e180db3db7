"""Rankings with evidence: the graph-only ranker used by the API today, the patient
context, and the fusion model (text + graph + image) with its diagnosis training."""
