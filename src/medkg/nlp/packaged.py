"""Curated tables shipped inside ``medkg.nlp`` (abbreviations, words that are no
symbols, section headings): read from the installed package, so an installed
wheel finds them as a checkout does."""

from __future__ import annotations

from importlib import resources


def packaged_rows(file: str) -> list[list[str]]:
    """The tab-separated rows of a table shipped in ``medkg.nlp`` (``#`` comments
    and blank lines skipped, cells stripped)."""
    raw = resources.files("medkg.nlp").joinpath(file).read_text("utf-8")
    return [
        [cell.strip() for cell in line.split("\t")]
        for line in raw.splitlines()
        if line.strip() and not line.startswith("#")
    ]
