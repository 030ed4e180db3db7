"""medkg: a multimodal biomedical knowledge graph.

Sub-packages:
    kg        graph schema, graph stores (embedded Ladybug, Neo4j), importers
    encoders  text, image and graph encoders
    fusion    models that fuse graph, text and image signals
    api       the HTTP service
"""

__version__ = "0.1.0"
