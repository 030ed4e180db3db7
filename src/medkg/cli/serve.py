"""``medkg serve``: the HTTP API and the web explorer."""

from __future__ import annotations

from typing import Annotated

import typer

from medkg.cli.common import store_from_settings
from medkg.settings import get_settings

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Processes (Neo4j backend only).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.resolved_backend == "embedded":
        raise typer.BadParameter("the embedded store is single-process: use --workers 1")
    # Opened once here, before the server starts, so that a store in use by
    # another process (or an unreachable Neo4j) is one error line, not a
    # start-up traceback; the app opens its own in its lifespan.
    with store_from_settings():
        pass
    uvicorn.run("medkg.api.app:create_app", factory=True, host=host, port=port,
                workers=workers)  # fmt: skip
