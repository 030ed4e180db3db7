"""The read commands researchers use: counts, read-only Cypher, nodes, neighbours,
paths and search. Each reads the configured store (embedded or Neo4j)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from medkg.cli.common import (
    console,
    err_console,
    print_json,
    require_node,
    result_table,
    store_from_settings,
    user_errors,
)

app = typer.Typer()


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Count nodes per label and relationships per type."""
    with store_from_settings() as store:
        counts = store.stats()
    if as_json:
        print_json({"backend": store.backend, **counts})
        return
    for section in ("nodes", "relationships"):
        table = Table(title=f"{section} ({store.backend} store)")
        table.add_column("label" if section == "nodes" else "type")
        table.add_column("count", justify="right")
        for name, n in sorted(counts[section].items()):
            table.add_row(name, f"{n:,}")
        table.add_row("[bold]total[/bold]", f"[bold]{sum(counts[section].values()):,}[/bold]")
        console.print(table)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` gives a string, ``k:=v`` a JSON value (number, list, bool, null)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        if ":=" in pair and pair.index(":=") + 1 == pair.index("="):
            key, raw = pair.split(":=", 1)
            try:
                params[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"--param {pair}: not JSON after ':=' ({exc.msg})") from None
        elif "=" in pair:
            key, params_value = pair.split("=", 1)
            params[key] = params_value
        else:
            raise ValueError(f"--param {pair!r}: expected key=value or key:=json")
        if not key.isidentifier():
            raise ValueError(f"--param {pair!r}: {key!r} is not a valid parameter name")
    return params


@app.command()
def query(
    cypher: Annotated[str, typer.Argument(help="A read-only Cypher query.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Parameter k=v (string) or k:=json; repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Most rows to return.")] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds before giving up.")
    ] = None,
) -> None:
    """Run a read-only Cypher query (writes, file loads and settings are refused)."""
    with user_errors():
        params = parse_params(param or [])
    with store_from_settings() as store:
        result = store.user_query(cypher, params, row_cap=limit, timeout_s=timeout)
    if as_json:
        print_json(
            {"columns": result.columns, "rows": result.records(), "truncated": result.truncated}
        )
        return
    console.print(result_table(result))
    note = " (truncated: raise --limit)" if result.truncated else ""
    err_console.print(f"{len(result.rows)} row(s){note}")


#: Document ids are the caller's own and may equal an entity's: --label qualifies one.
LabelOption = Annotated[
    str | None, typer.Option("--label", help="Qualify the id with a label (e.g. Document).")
]


@app.command()
def node(
    node_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    label: LabelOption = None,
) -> None:
    """Show one node by id."""
    with store_from_settings() as store:
        found = require_node(store, node_id, label)
    if as_json:
        print_json(found)
        return
    table = Table(show_header=False)
    for k, v in found.items():
        table.add_row(k, str(v))
    console.print(table)


@app.command()
def neighbours(
    node_id: str,
    rel_type: Annotated[
        str | None, typer.Option("--type", help="Only this relationship type.")
    ] = None,
    direction: Annotated[str, typer.Option(help="out, in or both.")] = "both",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    label: LabelOption = None,
) -> None:
    """List the neighbours of a node."""
    with store_from_settings() as store:
        if direction not in ("out", "in", "both"):
            raise ValueError("--direction must be out, in or both")
        require_node(store, node_id, label)
        found = store.neighbours(
            node_id, rel_type, direction, limit, label=label  # type: ignore[arg-type]
        )
    if as_json:
        print_json([
            {"type": n.rel_type, "direction": n.direction, **vars(n.node)} for n in found
        ])  # fmt: skip
        return
    table = Table(title=f"neighbours of {node_id}")
    for col in ("relationship", "dir", "label", "id", "name"):
        table.add_column(col)
    for n in found:
        arrow = "->" if n.direction == "out" else "<-"
        table.add_row(n.rel_type, arrow, n.node.label, n.node.id, n.node.name or "")
    console.print(table)


@app.command()
def paths(
    from_id: str,
    to_id: str,
    max_hops: Annotated[int, typer.Option(min=1, help="Longest path to look for.")] = 3,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Shortest paths between two nodes (relationship direction ignored)."""
    with store_from_settings() as store:
        for nid in (from_id, to_id):
            require_node(store, nid)
        found = store.paths(from_id, to_id, max_hops, limit)
    if as_json:
        print_json([
            {"nodes": [vars(n) for n in p.nodes], "relationships": p.rels, "forward": p.forward}
            for p in found
        ])  # fmt: skip
        return
    if not found:
        err_console.print(f"no path of at most {max_hops} hops")
    for p in found:
        console.print(p.describe(), highlight=False, markup=False)


@app.command()
def search(
    text: str,
    label: Annotated[str | None, typer.Option(help="Only this node label.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find nodes by name or synonym (exact, then prefix, then substring)."""
    with store_from_settings() as store:
        found = store.search(text, label, limit)
    if as_json:
        print_json([vars(n) for n in found])
        return
    table = Table()
    for col in ("label", "id", "name"):
        table.add_column(col)
    for n in found:
        table.add_row(n.label, n.id, n.name or "")
    console.print(table)
