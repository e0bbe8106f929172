"""GraphiQL served by the server itself: the page at GET /graphql (a browser's Accept: text/html)
and its scripts and styles at /graphql/static/, shipped with the package (server/static/), so it
works without internet. Development mode only: production mode turns GraphiQL off."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_DIR = STATIC_DIR / "graphiql"
ASSETS_PATH = "/graphql/static"


@cache
def page() -> str:
    return (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8").replace("{{ static }}", ASSETS_PATH)


def assets() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
