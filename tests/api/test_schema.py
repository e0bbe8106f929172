"""The committed SDL, the production switches, and GraphiQL."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.app import create_app
from server.schema import build_schema
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_the_servers_schema():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", (
        "schema.graphql drifted from the server: regenerate it with\n"
        "  .venv/bin/python -c \"from server.schema import build_schema; "
        "open('schema.graphql','w').write(build_schema().as_str()+'\\n')\""
    )


async def test_graphiql_is_served_to_browsers(live_server):
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_production_turns_off_introspection_graphiql_and_suggestions(settings: Settings, demo):
    production = create_app(Settings(**{**settings.__dict__, "production": True}), manage_resources=False)
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="http://switchboard") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code != 200 or "graphiql" not in page.text.lower()
        introspection = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
        assert introspection["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection" in introspection["errors"][0]["message"].lower()
        typo = (await http.post("/graphql", json={"query": "{ workItem(ref: \"T-1\") { titel } }"})).json()
        assert "Did you mean" not in typo["errors"][0]["message"]
        # still a working API
        login = (await http.post("/graphql", json={"query": 'mutation { login(email: "jane@example.com", password: "demo") { token } }'})).json()
        assert login["data"]["login"]["token"]

    development = httpx.ASGITransport(app=create_app(settings, manage_resources=False))
    async with httpx.AsyncClient(transport=development, base_url="http://switchboard") as http:
        typo = (await http.post("/graphql", json={"query": "{ workItem(ref: \"T-1\") { titel } }"})).json()
    assert "Did you mean" in typo["errors"][0]["message"]
