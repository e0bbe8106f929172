"""GET /imports/templates/<kind>.xlsx?language=en|pl|fr|ru — the sheet to fill in for an import
(seed 004: "a template is provided ... in every language"), authenticated like /graphql
(`Authorization: Bearer <token>`), for whoever may run that import. A refusal is the JSON error
body of the transport (server/http/errors.py) with the domain error's code."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import viewer as viewers
from server.domain.errors import DomainError, Unauthenticated
from server.domain.imports import jobs
from server.http.errors import JSON, error_body
from server.resolvers.context import parse_bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "VALIDATION": 400}


async def template(request: Request) -> Response:
    kind = request.path_params["kind"]
    language = request.query_params.get("language", "en")
    try:
        token, problem = parse_bearer(request.headers.get("authorization"))
        if problem or token is None:
            raise Unauthenticated(problem or "Sign in first: send `Authorization: Bearer <token>`.")
        viewer = await viewers.authenticate(token, request.app.state.signer)
        content = jobs.template(viewer, kind, language)
    except DomainError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.code == "UNAUTHENTICATED" else None
        return Response(error_body(error.message, error.code), status_code=STATUS.get(error.code, 400), media_type=JSON, headers=headers)
    filename = f"{kind}-template-{language}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route("/imports/templates/{kind}.xlsx", template, methods=["GET"])]
