"""Importers of public biomedical graphs into a GraphStore."""
