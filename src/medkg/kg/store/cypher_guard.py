"""Checks applied to researchers' Cypher before any engine sees it.

Why a guard when both engines already run reads in read-only transactions: the
transaction catches writes, but not statements that read the server's files
(``LOAD CSV``/``LOAD FROM``), change settings (``CALL threads=1``), install
extensions, enumerate unbounded variable-length paths that never finish, or
are shaped to break the engine itself (brackets nested 1,000 deep crash the
embedded engine; nested ``CASE`` binds in exponential time). Those are refused
here, with a message a user can act on, in time linear in the query's length.

The checks read the query's structure (:mod:`medkg.kg.store.cypher_syntax`),
not patterns over its text: every relationship pattern's ``*`` is read by a
strict grammar (semantics words, bounds, then only a filter, properties or
``WHERE``), so a form the grammar does not know is refused rather than
skipped; quantified path patterns (``(...){1,3}``, ``(...)+``, ``-->+``) are
bounded by the same hop limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from medkg.kg.store.base import ReadOnlyViolation
from medkg.kg.store.cypher_syntax import (
    Group,
    SyntaxLimit,
    bracket_groups,
    code_tokens,
    top_level,
    walk,
)
from medkg.settings import Settings

#: Clauses that write, read files, or touch the database outside the graph.
_FORBIDDEN = {
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "ALTER",
    "COPY", "LOAD", "INSTALL", "UNINSTALL", "ATTACH", "EXPORT", "IMPORT", "USE",
    "CHECKPOINT", "BEGIN", "COMMIT", "ROLLBACK", "FOREACH", "GRANT", "DENY",
    "REVOKE", "TERMINATE", "SHOW",
}  # fmt: skip

#: Procedures researchers may CALL (schema introspection, read-only on both engines).
ALLOWED_PROCEDURES = {
    "show_tables", "table_info", "show_connection",            # Ladybug
    "db.labels", "db.relationshiptypes", "db.propertykeys",    # Neo4j
    "db.schema.visualization", "db.schema.nodetypeproperties",
    "db.schema.reltypeproperties", "db.index.fulltext.querynodes",
}  # fmt: skip

#: Words allowed between ``*`` and the bounds of a variable-length relationship.
_PATH_SEMANTICS = {"TRAIL", "WALK", "ACYCLIC", "SHORTEST", "ALL", "WSHORTEST"}

Code = list[tuple[str, str]]


@dataclass(frozen=True)
class GuardLimits:
    """How large, how deep and how far a researcher's query may go."""

    max_hops: int = 5
    max_chars: int = 20_000
    max_depth: int = 32
    max_case_depth: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardLimits:
        return cls(
            max_hops=settings.max_path_hops,
            max_chars=settings.max_query_chars,
            max_depth=settings.max_query_depth,
            max_case_depth=settings.max_case_depth,
        )


def check_read_only(cypher: str, limits: GuardLimits | int) -> None:
    """Raise :class:`ReadOnlyViolation` for anything but a bounded, modest read query.

    ``limits`` may be a bare hop limit (the other limits at their defaults).
    """
    if isinstance(limits, int):
        limits = GuardLimits(max_hops=limits)
    if not cypher.strip():
        raise ReadOnlyViolation("empty query")
    if len(cypher) > limits.max_chars:
        raise ReadOnlyViolation(
            f"query of {len(cypher):,} characters; the limit is {limits.max_chars:,} "
            "(pass long lists as parameters)"
        )
    code = code_tokens(cypher)
    try:
        groups = bracket_groups(code, limits.max_depth, limits.max_case_depth)
    except SyntaxLimit as exc:
        raise ReadOnlyViolation(str(exc)) from None
    for i, (kind, value) in enumerate(code):
        if kind == "other" and value == ";" and i + 1 < len(code):
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
    all_groups = walk(groups)
    for group in all_groups:
        if group.opener(code) == "[" and group.start and code[group.start - 1][1] == "-":
            _check_relationship(code, group, limits.max_hops)
    _check_quantifiers(code, {g.start: g for g in all_groups}, limits.max_hops)


def check_params(params: object, max_depth: int = 32) -> None:
    """Refuse parameters nested deeper than the query itself may be."""
    todo = [(params, 0)]
    while todo:
        value, depth = todo.pop()
        if depth > max_depth:
            raise ReadOnlyViolation(f"parameters nested more than {max_depth} deep")
        if isinstance(value, dict):
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list | tuple):
            todo.extend((v, depth + 1) for v in value)


def _check_call(code: Code, i: int) -> None:
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


def _text(code: Code, group: Group) -> str:
    """The group as the user wrote it, near enough: spaces only between words."""
    out: list[str] = []
    for kind, value in code[group.start : group.end + 1]:
        if out and kind in ("word", "number", "param") and out[-1][-1:].isalnum():
            out.append(" ")
        out.append(value)
    return "".join(out)


def _check_relationship(code: Code, group: Group, max_hops: int) -> None:
    """Read ``[var:TYPE *semantics lo..hi (filter) {props} WHERE ...]`` strictly."""
    inside = top_level(code, group)
    stars = [k for k, i in enumerate(inside) if code[i][1] == "*"]
    if not stars:
        return
    shown = _text(code, group)
    if len(stars) > 1:
        raise ReadOnlyViolation(f"relationship pattern {shown} has more than one '*'")
    rest = [code[i] for i in inside[stars[0] + 1 :]]
    k = 0
    while k < len(rest) and rest[k][0] == "word" and rest[k][1].upper() in _PATH_SEMANTICS:
        k += 1
        if rest[k - 1][1].upper() == "WSHORTEST" and k < len(rest) and rest[k][1] == "(":
            k += 1  # WSHORTEST(weight): the group's opener stands for it
    lo = hi = None
    if k < len(rest) and rest[k][0] == "number":
        lo = int(rest[k][1])
        k += 1
    dots = rest[k : k + 2] == [("other", "."), ("other", ".")]
    if dots:
        k += 2
        if k < len(rest) and rest[k][0] == "number":
            hi = int(rest[k][1])
            k += 1
    elif lo is not None:
        hi = lo  # [*3] means exactly three hops
    tail = rest[k:]
    while tail and tail[0][1] in ("(", "{"):
        tail = tail[1:]  # a filter (r, n | WHERE ...) or properties {...}
    if tail and not (tail[0][0] == "word" and tail[0][1].upper() == "WHERE"):
        raise ReadOnlyViolation(
            f"cannot read the hop bound of relationship pattern {shown}: "
            f"write it as [:TYPE*1..{min(3, max_hops)}] (at most {max_hops} hops)"
        )
    _check_bound(f"variable-length pattern {shown}", hi, max_hops)


def _check_bound(shown: str, hi: int | None, max_hops: int) -> None:
    if hi is None:
        raise ReadOnlyViolation(
            f"{shown} needs an upper bound "
            f"(at most {max_hops} hops), e.g. [*1..{min(3, max_hops)}]"
        )
    if hi > max_hops:
        raise ReadOnlyViolation(
            f"{shown} goes up to {hi} hops; the limit is {max_hops}"
        )


def _check_quantifiers(code: Code, groups: dict[int, Group], max_hops: int) -> None:
    """Quantified path patterns: ``(...){m,n}``, ``(...)+``, ``(...)*`` and ``-->+``."""
    for i in range(len(code) - 1):
        value = code[i][1]
        nxt = code[i + 1][1]
        after_group = value == ")"
        after_arrow = (value == ">" and i and code[i - 1][1] == "-") or (
            value == "-" and i and code[i - 1][1] in ("]", "-")
        )
        if not (after_group or after_arrow):
            continue
        if nxt == "{" and (i + 1) in groups:
            inner = code[i + 2 : groups[i + 1].end]
            bound = _brace_quantifier(inner)
            if bound is not None:
                _check_bound("quantified path pattern {" + "".join(v for _, v in inner) + "}",
                             bound[1], max_hops)  # fmt: skip
        elif nxt in ("+", "*"):
            follower = code[i + 2][1] if i + 2 < len(code) else ""
            if after_arrow or follower in ("(", "-", "<", ",", "") or (
                code[i + 2][0] == "word" if i + 2 < len(code) else False
            ):
                raise ReadOnlyViolation(
                    f"quantified path pattern '{nxt}' has no upper bound: write "
                    f"{{1,{min(3, max_hops)}}} (at most {max_hops} hops); for arithmetic, "
                    "drop the parentheses around the operands"
                )


def _brace_quantifier(inner: Code) -> tuple[int | None, int | None] | None:
    """``{m,n}``, ``{m}``, ``{,n}``, ``{m,}`` as (lo, hi); None for anything else."""
    parts = [v for _, v in inner]
    if not parts or any(k not in ("number",) and v != "," for k, v in inner):
        return None
    if parts.count(",") > 1:
        return None
    if "," not in parts:
        return (int(parts[0]), int(parts[0])) if len(parts) == 1 else None
    left, right = parts[: parts.index(",")], parts[parts.index(",") + 1 :]
    lo = int(left[0]) if left else None
    hi = int(right[0]) if right else None
    return lo, hi
