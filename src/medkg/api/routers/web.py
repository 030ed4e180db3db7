"""The web explorer page (``/``); its scripts and styles are mounted at ``/static``."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = resources.files("medkg.api") / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def explorer() -> FileResponse:
    return FileResponse(str(STATIC / "index.html"))
