"""The root ``medkg`` command: one Typer app that mounts each command group.

Each group lives in its own module with its own Typer app and never imports
this one: ``import`` (:mod:`.imports`), ``ingest`` (:mod:`.ingest`), the read
commands (:mod:`.explore`), the rankings (:mod:`.recommend`), ``train``
(:mod:`.train`), ``serve`` (:mod:`.serve`) and ``demo`` (:mod:`.demo`). A new
command goes into the module of its group; a new group is a module plus one
line here.
"""

from __future__ import annotations

import typer

from medkg.cli import demo, explore, imports, ingest, recommend, serve, train

app = typer.Typer(
    name="medkg",
    help="A multimodal biomedical knowledge graph "
    "(embedded by default, Neo4j when NEO4J_URI is set).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(imports.app, name="import")
app.add_typer(ingest.app, name="ingest")
app.add_typer(explore.app)
app.add_typer(serve.app)
app.add_typer(demo.app)
app.add_typer(train.app, name="train")
app.add_typer(recommend.app)


def main() -> None:  # pragma: no cover - thin wrapper for ``python -m medkg``
    app()
