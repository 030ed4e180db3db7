"""Read clinical notes from a folder of .txt files, a CSV/JSONL file, or stdin.

Every input is checked before anything is extracted or written: empty, binary
(NUL bytes), non-UTF-8 and over-long notes are reported together, one line each,
so a bad file never leaves half an ingest behind.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from medkg.nlp.documents import NoteInput


class NoteInputError(ValueError):
    """One or more notes cannot be ingested; the message lists each problem."""


def _decode(raw: bytes, where: str, max_chars: int, problems: list[str]) -> str | None:
    if b"\x00" in raw:
        problems.append(f"{where}: binary data (NUL bytes), not a text note")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{where}: not UTF-8 (byte {exc.start}); convert it, e.g. iconv -t UTF-8")
        return None
    return _check_text(text, where, max_chars, problems)


def _check_text(text: str, where: str, max_chars: int, problems: list[str]) -> str | None:
    if not text.strip():
        problems.append(f"{where}: empty note")
        return None
    if len(text) > max_chars:
        problems.append(f"{where}: {len(text):,} characters, over the {max_chars:,} limit")
        return None
    return text


def check_notes(notes: Sequence[NoteInput], max_chars: int) -> None:
    """Raise :class:`NoteInputError` listing every note that cannot be ingested.

    The one check for notes that arrive already decoded (the HTTP API, Python
    callers): binary, empty or over-long text, and document ids given twice.
    """
    problems: list[str] = []
    for n in notes:
        if "\x00" in n.text:
            problems.append(f"{n.doc_id}: binary data (NUL bytes), not a text note")
        else:
            _check_text(n.text, n.doc_id, max_chars, problems)
    _check_unique_ids(notes, problems)
    if problems:
        raise NoteInputError("\n".join(problems))


def _check_unique_ids(notes: Sequence[NoteInput], problems: list[str]) -> None:
    dupes = sorted(i for i, n in Counter(n.doc_id for n in notes).items() if n > 1)
    if dupes:
        problems.append(f"duplicate document ids: {', '.join(dupes[:5])}")


def read_notes(
    path: str,
    *,
    text_column: str = "text",
    id_column: str = "id",
    max_chars: int = 1_000_000,
) -> list[NoteInput]:
    """Notes from ``path`` (``-`` for stdin); raises :class:`NoteInputError` listing problems."""
    problems: list[str] = []
    notes: list[NoteInput] = []
    if path == "-":
        text = _decode(sys.stdin.buffer.read(), "stdin", max_chars, problems)
        if text is not None:
            notes.append(NoteInput(f"stdin-{NoteInput('', text).sha256[:12]}", text))
    else:
        p = Path(path)
        if not p.exists():
            raise NoteInputError(f"{p}: no such file or folder")
        if p.is_dir():
            files = sorted(p.glob("*.txt"))
            if not files:
                raise NoteInputError(f"{p}: no .txt files")
            for f in files:
                text = _decode(f.read_bytes(), str(f), max_chars, problems)
                if text is not None:
                    notes.append(NoteInput(f.stem, text))
        elif p.suffix.lower() in (".csv", ".jsonl", ".json"):
            notes = _read_table(p, text_column, id_column, max_chars, problems)
        else:
            text = _decode(p.read_bytes(), str(p), max_chars, problems)
            if text is not None:
                notes.append(NoteInput(p.stem, text))
    _check_unique_ids(notes, problems)
    if problems:
        raise NoteInputError("\n".join(problems))
    return notes


def _read_table(
    p: Path, text_column: str, id_column: str, max_chars: int, problems: list[str]
) -> list[NoteInput]:
    raw = p.read_bytes()
    content = _decode(raw, str(p), 10 * max_chars, problems)
    if content is None:
        return []
    if p.suffix.lower() == ".csv":
        csv.field_size_limit(max(max_chars * 2, 131072))
        reader = csv.DictReader(io.StringIO(content))
        if not reader.fieldnames or text_column not in reader.fieldnames:
            raise NoteInputError(f"{p}: no {text_column!r} column (columns: {reader.fieldnames})")
        records = list(enumerate(reader, start=2))
    else:
        records = []
        for lineno, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(f"{p}:{lineno}: not JSON ({exc.msg})")
    notes = []
    for lineno, rec in records:
        where = f"{p}:{lineno}"
        if not isinstance(rec, dict) or not isinstance(rec.get(text_column), str):
            problems.append(f"{where}: no text in column {text_column!r}")
            continue
        text = _check_text(rec[text_column], where, max_chars, problems)
        if text is not None:
            doc_id = str(rec.get(id_column) or f"{p.stem}-{lineno}")
            notes.append(NoteInput(doc_id, text))
    return notes
