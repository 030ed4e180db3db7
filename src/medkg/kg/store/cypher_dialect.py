"""What researchers type versus what the embedded engine reads and reports.

Ladybug names unaliased result columns after its internal plan and spells a
few Neo4j functions differently; these helpers keep the API's answers the same
on both backends.
"""

from __future__ import annotations

import re

from medkg.kg.store.cypher_syntax import tokens

_RETURN_END = {"ORDER", "SKIP", "LIMIT", "UNION"}


def return_columns(cypher: str) -> list[str] | None:
    """Column names as Neo4j reports them: the alias, else the expression's text.

    Ladybug names unaliased columns after its internal plan (``LABEL(r._ID,[...])``);
    researchers expect what they typed. ``None`` when there is no plain RETURN list.
    """
    toks = [t for t in tokens(cypher) if t[0] != "comment"]
    depth, start = 0, None
    for i, (kind, value) in enumerate(toks):
        if value in "([{":
            depth += 1
        elif value in ")]}":
            depth -= 1
        elif kind == "word" and depth == 0 and value.upper() == "RETURN":
            start = i + 1
    if start is None:
        return None
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for kind, value in toks[start:]:
        if depth == 0 and kind == "word" and value.upper() in _RETURN_END:
            break
        if value in "([{":
            depth += 1
        elif value in ")]}":
            depth -= 1
        if depth == 0 and value == ",":
            items.append("".join(current).strip())
            current = []
        else:
            current.append(value)
    items.append("".join(current).strip())
    if items and items[0].upper().startswith("DISTINCT "):
        items[0] = items[0][9:].strip()
    if not all(items) or items == ["*"]:
        return None
    names = []
    for item in items:
        m = re.search(r"\s+AS\s+(`[^`]+`|\w+)$", item, re.IGNORECASE)
        names.append(m.group(1).strip("`") if m else " ".join(item.split()))
    return names


_FUNC_RENAMES = {"type": "label", "relationships": "rels"}


def to_ladybug_dialect(cypher: str) -> str:
    """Rewrite the common Neo4j-isms Ladybug spells differently.

    ``type(r)`` becomes ``label(r)``, ``relationships(p)`` becomes ``rels(p)``,
    and variable-length patterns get TRAIL semantics (no relationship repeated),
    which is what Neo4j does; Ladybug's default would walk edges back and forth.
    """
    out: list[str] = []
    toks = tokens(cypher)
    for i, (kind, value) in enumerate(toks):
        if kind == "word" and value.lower() in _FUNC_RENAMES:
            nxt = next((v for k, v in toks[i + 1 :] if not (k == "other" and not v.strip())), "")
            prev = next(
                (v for k, v in reversed(toks[:i]) if not (k == "other" and not v.strip())), ""
            )
            if nxt == "(" and prev != ".":
                out.append(_FUNC_RENAMES[value.lower()])
                continue
        out.append(value)
    text = "".join(out)

    def add_trail(m: re.Match[str]) -> str:
        body = m.group(1)
        star = body.find("*")
        if star < 0:
            return m.group(0)
        rest = body[star + 1 :].lstrip()
        if re.match(r"(TRAIL|WALK|ACYCLIC|SHORTEST|ALL\s+SHORTEST)\b", rest, re.IGNORECASE):
            return m.group(0)
        return m.group(0).replace(body, body[: star + 1] + " TRAIL " + rest, 1)

    return _rewrite_outside_strings(text, re.compile(r"-\s*\[([^\]'\"]*)\]"), add_trail)


def _rewrite_outside_strings(text: str, pattern: re.Pattern[str], fn) -> str:  # type: ignore[no-untyped-def]
    pieces: list[str] = []
    buf: list[str] = []
    for kind, value in tokens(text):
        if kind in ("str", "comment", "bq"):
            pieces.append(pattern.sub(fn, "".join(buf)))
            pieces.append(value)
            buf = []
        else:
            buf.append(value)
    pieces.append(pattern.sub(fn, "".join(buf)))
    return "".join(pieces)
