"""Mask obvious identifiers in sentences before they are stored.

Why rules and not a de-identification model: no such model can be downloaded
here, and the graph only stores single sentences as evidence. The rules cover
the identifiers the issue names (names after titles, dates, phone numbers,
MRNs); the note text itself is not stored unless configured.
"""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\b(MRN|Medical Record (?:Number|No\.?))\s*[:#]?\s*[A-Z0-9-]{4,}\b", re.I),
        r"\1 [MRN]",
    ),
    (re.compile(r"\b(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"), "[PHONE]"),
    (re.compile(r"\b\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})\b"), "[DATE]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "[DATE]"),
    (
        re.compile(
            r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|"
            r"Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+"
            r"\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b"
        ),
        "[DATE]",
    ),
    (
        re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?"),
        r"\1. [NAME]",
    ),
]


def mask_identifiers(text: str) -> str:
    """Replace names after titles, dates, phone numbers and MRNs with placeholders."""
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text
