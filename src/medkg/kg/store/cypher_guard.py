"""Checks and light rewrites applied to researchers' Cypher before it runs.

Why a guard when both engines already run reads in read-only transactions: the
transaction catches writes, but not statements that read the server's files
(``LOAD CSV``/``LOAD FROM``), change settings (``CALL threads=1``), install
extensions, or enumerate unbounded variable-length paths that never finish.
Those are refused here with a message a user can act on. The guard is a
tokenizer, not a parser: keywords inside strings, comments and backquoted names
are ignored, so ``WHERE n.name = 'CREATE'`` is fine.
"""

from __future__ import annotations

import re

from medkg.kg.store.base import ReadOnlyViolation

_TOKEN = re.compile(
    r"""
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<bq>`[^`]*`)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<param>\$\w+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\s+|.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: Clauses that write, read files, or touch the database outside the graph.
_FORBIDDEN = {
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "ALTER",
    "COPY", "LOAD", "INSTALL", "UNINSTALL", "ATTACH", "EXPORT", "IMPORT", "USE",
    "CHECKPOINT", "BEGIN", "COMMIT", "ROLLBACK", "FOREACH", "GRANT", "DENY",
    "REVOKE",
}  # fmt: skip

#: Procedures researchers may CALL (schema introspection, read-only on both engines).
ALLOWED_PROCEDURES = {
    "show_tables", "table_info", "show_connection",            # Ladybug
    "db.labels", "db.relationshiptypes", "db.propertykeys",    # Neo4j
    "db.schema.visualization", "db.schema.nodetypeproperties",
    "db.schema.reltypeproperties", "db.index.fulltext.querynodes",
}  # fmt: skip

_VARLEN = re.compile(
    r"\*\s*(?P<sem>[A-Za-z ]+?)?\s*(?P<lo>\d+)?\s*(?P<dots>\.\.)?\s*(?P<hi>\d+)?\s*$"
)


def _tokens(cypher: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(cypher)]


def check_read_only(cypher: str, max_hops: int) -> None:
    """Raise :class:`ReadOnlyViolation` for anything but a bounded read query."""
    if not cypher.strip():
        raise ReadOnlyViolation("empty query")
    toks = [(k, v) for k, v in _tokens(cypher) if k not in ("comment",)]
    code = [(k, v) for k, v in toks if k != "other" or v.strip()]
    for i, (kind, value) in enumerate(code):
        if kind == "other" and value == ";" and any(k != "other" for k, _ in code[i + 1 :]):
            raise ReadOnlyViolation("one statement per query: remove the ';' separated parts")
        if kind != "word":
            continue
        upper = value.upper()
        prev = code[i - 1][1] if i else ""
        if prev in (".", ":"):  # property or label named like a keyword
            continue
        if upper in _FORBIDDEN:
            raise ReadOnlyViolation(
                f"read-only queries may not use {upper}: this endpoint runs reads only"
            )
        if upper == "CALL":
            _check_call(code, i)
    _check_var_length(cypher, max_hops)


def _check_call(code: list[tuple[str, str]], i: int) -> None:
    nxt = code[i + 1] if i + 1 < len(code) else ("other", "")
    if nxt[1] == "{":
        return  # CALL { subquery }: its clauses are checked like any others
    name_parts = []
    j = i + 1
    while j < len(code) and (code[j][0] == "word" or code[j][1] == "."):
        name_parts.append(code[j][1])
        j += 1
    proc = "".join(name_parts).lower()
    if j < len(code) and code[j][1] == "=":
        raise ReadOnlyViolation("read-only queries may not change settings (CALL name=value)")
    if proc not in ALLOWED_PROCEDURES:
        raise ReadOnlyViolation(
            f"procedure {proc or '?'} is not allowed in read-only queries; "
            f"allowed: {', '.join(sorted(ALLOWED_PROCEDURES))}"
        )


def _rel_patterns(cypher: str) -> list[str]:
    """Bodies of ``-[...]-`` relationship patterns, strings and comments blanked out."""
    blanked = "".join(
        v if k not in ("str", "comment", "bq") else " " * len(v) for k, v in _tokens(cypher)
    )
    return re.findall(r"-\s*\[([^\]]*)\]", blanked)


def _check_var_length(cypher: str, max_hops: int) -> None:
    for body in _rel_patterns(cypher):
        star = body.find("*")
        if star < 0:
            continue
        spec = body[star:].split("{")[0].split(" WHERE ")[0]
        m = _VARLEN.match(spec.strip())
        if not m:
            continue
        hi = m.group("hi")
        if m.group("dots") is None and m.group("lo") is not None:
            hi = m.group("lo")  # [*3] means exactly three hops
        if hi is None:
            raise ReadOnlyViolation(
                f"variable-length pattern [{body.strip()}] needs an upper bound "
                f"(at most {max_hops} hops), e.g. [*1..{min(3, max_hops)}]"
            )
        if int(hi) > max_hops:
            raise ReadOnlyViolation(
                f"variable-length pattern [{body.strip()}] goes up to {hi} hops; "
                f"the limit is {max_hops}"
            )


_RETURN_END = {"ORDER", "SKIP", "LIMIT", "UNION"}


def return_columns(cypher: str) -> list[str] | None:
    """Column names as Neo4j reports them: the alias, else the expression's text.

    Ladybug names unaliased columns after its internal plan (``LABEL(r._ID,[...])``);
    researchers expect what they typed. ``None`` when there is no plain RETURN list.
    """
    toks = [t for t in _tokens(cypher) if t[0] != "comment"]
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
    toks = _tokens(cypher)
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
    for kind, value in _tokens(text):
        if kind in ("str", "comment", "bq"):
            pieces.append(pattern.sub(fn, "".join(buf)))
            pieces.append(value)
            buf = []
        else:
            buf.append(value)
    pieces.append(pattern.sub(fn, "".join(buf)))
    return "".join(pieces)
