"""Cypher as tokens and bracket groups: the structure the guard and the dialect
rewrites read.

Why not a full openCypher parser: three kept parsers on the package index were
measured on the queries this API accepts (docs/decisions/0013): graphglot parsed
34 of 38, antlr4-cypher 33, cypher-guard 7; none knows Ladybug's own forms
(``[* SHORTEST 1..3]``, ``[*1..2 (r, n | WHERE ...)]``), and two of them recurse
per nesting level, so the hostile inputs this module exists to refuse (brackets
nested 1,000 deep, ``CASE`` nested 300 deep) made them raise ``RecursionError``
after seconds. What the guard needs is smaller and must be linear: strings,
comments and backquoted names told apart from code, brackets matched with an
explicit stack, and the tokens right after a ``*`` or a closing bracket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<bq>`[^`]*`)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<param>\$\w+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+)
  | (?P<other>\s+|.)
    """,
    re.VERBOSE | re.DOTALL,
)

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}


def tokens(cypher: str) -> list[tuple[str, str]]:
    """Every piece of the text, whitespace and comments included (``"".join`` gives it back)."""
    return [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(cypher)]


def code_tokens(cypher: str) -> list[tuple[str, str]]:
    """The tokens that mean something: no whitespace, no comments."""
    return [
        (k, v) for k, v in tokens(cypher) if k != "comment" and not (k == "other" and v.isspace())
    ]


class SyntaxLimit(ValueError):
    """The query's shape is over a limit (nesting) or broken (unbalanced brackets)."""


@dataclass
class Group:
    """One bracketed stretch of code tokens: ``code[start]`` opens it, ``code[end]`` closes it."""

    start: int
    end: int = -1
    children: list[Group] = field(default_factory=list)

    def opener(self, code: list[tuple[str, str]]) -> str:
        return code[self.start][1]


def bracket_groups(
    code: list[tuple[str, str]], max_depth: int, max_case_depth: int
) -> list[Group]:
    """All bracket groups, outermost first; raises :class:`SyntaxLimit` past the limits.

    ``CASE ... END`` counts as a level of its own too (``max_case_depth``): the
    embedded engine binds nested ``CASE`` in time exponential in the depth.
    """
    stack: list[Group] = []
    found: list[Group] = []
    case_depth = 0
    for i, (kind, value) in enumerate(code):
        if kind == "word":
            upper = value.upper()
            prev = code[i - 1][1] if i else ""
            if prev in (".", ":"):  # a property or label named CASE/END
                continue
            if upper == "CASE":
                case_depth += 1
                if case_depth > max_case_depth:
                    raise SyntaxLimit(
                        f"CASE expressions nested more than {max_case_depth} deep; "
                        "flatten them (one CASE with several WHEN branches)"
                    )
            elif upper == "END" and case_depth:
                case_depth -= 1
            continue
        if kind != "other":
            continue
        if value in OPENERS:
            group = Group(i)
            (stack[-1].children if stack else found).append(group)
            stack.append(group)
            if len(stack) > max_depth:
                raise SyntaxLimit(
                    f"brackets nested more than {max_depth} deep; the query is refused "
                    "before it reaches the engine"
                )
        elif value in CLOSERS:
            if not stack or code[stack[-1].start][1] != CLOSERS[value]:
                raise SyntaxLimit(f"unbalanced {value!r} at token {i}: check the brackets")
            stack.pop().end = i
    if stack:
        raise SyntaxLimit(f"unclosed {code[stack[-1].start][1]!r}: check the brackets")
    return found


def walk(groups: list[Group]) -> list[Group]:
    """Every group, parents before children, without recursion."""
    out: list[Group] = []
    todo = list(reversed(groups))
    while todo:
        group = todo.pop()
        out.append(group)
        todo.extend(reversed(group.children))
    return out


def top_level(code: list[tuple[str, str]], group: Group) -> list[int]:
    """Indices of the tokens directly inside ``group`` (nested groups skipped)."""
    out: list[int] = []
    i = group.start + 1
    children = iter(group.children)
    nxt = next(children, None)
    while i < group.end:
        if nxt is not None and i == nxt.start:
            out.append(i)  # the nested group's opener stands for it
            i = nxt.end + 1
            nxt = next(children, None)
            continue
        out.append(i)
        i += 1
    return out
