"""GraphQL over HTTP as the GraphQL-over-HTTP spec describes it, on top of strawberry's view.

- The response media type follows the client's `Accept`: `application/graphql-response+json`
  when the client prefers it, `application/json` otherwise (also when `Accept` is missing, `*/*`,
  or names nothing we serve).
- A request error (the document does not parse or validate, a variable cannot be coerced, a
  subscription sent over HTTP) has no `data` entry. With `application/graphql-response+json` it
  answers 400; with `application/json` 200, as the spec requires for a well-formed request.
- A request that is not a GraphQL request at all (a body that is not JSON, not UTF-8, or
  outside the bounds of server/http/request_json.py; a batch; no query) answers 400; a mutation
  over GET answers 405 with `Allow: POST`; every such refusal is a JSON error body with `extensions.code`.
- File uploads follow the GraphQL multipart request spec (`multipart/form-data` with `operations`
  and `map`). A browser sends such a form cross-site without asking (a "simple" request), so a
  multipart request must carry a header no plain form can: `Authorization`, or a non-empty
  `GraphQL-Preflight` or `Apollo-Require-Preflight` — any of which makes a browser ask the server
  first (CORS preflight), which it does not grant. Without one: 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from server.http.errors import GRAPHQL_RESPONSE, JSON, HttpError, error_body
from server.http.request_json import RequestJSONError, parse_request_json

PREFLIGHT_HEADERS = ("authorization", "graphql-preflight", "apollo-require-preflight")
MISSING_PREFLIGHT = (
    "A multipart (file upload) request needs an Authorization, GraphQL-Preflight or Apollo-Require-Preflight header "
    "(so that no cross-site form can send it)."
)
SUBSCRIPTION_OVER_HTTP = "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws), not over HTTP."


@dataclass
class Exchange:
    """What one HTTP request negotiated, shared by the view's hooks."""

    media_type: str
    request_error: bool = False


def negotiate(accept: str | None) -> str:
    """The media type to answer with: the client's most preferred one that we serve."""
    best: tuple[tuple[float, int], str] | None = None
    for index, part in enumerate((accept or "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            candidate = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        key = (quality, -index)
        if best is None or key > best[0]:
            best = (key, candidate)
    return best[1] if best else JSON



def _exchange(request: Request) -> Exchange:
    exchange = getattr(request.state, "graphql_http", None)
    if exchange is None:
        exchange = request.state.graphql_http = Exchange(negotiate(request.headers.get("accept")))
    return exchange


class GraphQLHTTPView(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:  # strawberry's own refusals, plain text otherwise
            headers = {"Allow": "GET, POST"} if exc.status_code == 405 else None
            response = self.error_response(request, HttpError(exc.status_code, exc.reason, headers=headers))
        except HttpError as error:
            response = self.error_response(request, error)
        await response(scope, receive, send)

    def error_response(self, request: Request, error: HttpError) -> Response:
        return Response(
            error_body(error.message, error.code),
            status_code=error.status,
            media_type=_exchange(request).media_type,
            headers=error.headers,
        )

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_http = _exchange(request)  # type: ignore[attr-defined]
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        exchange: Exchange = sub_response.graphql_http  # type: ignore[attr-defined]
        response.headers["content-type"] = exchange.media_type
        if exchange.media_type == GRAPHQL_RESPONSE and exchange.request_error and not sub_response.status_code:
            response.status_code = 400
        return response

    def decode_json(self, data: str | bytes) -> Any:
        """Every JSON a client sends: request bodies and graphql-transport-ws messages alike."""
        return parse_request_json(data)

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            raise HttpError(400, MISSING_PREFLIGHT)
        return await super().parse_multipart(request)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except RequestJSONError as refused:
            raise HttpError(400, refused.message) from None

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        response_data = await super().process_result(request, result)
        if result.data is None and result.errors and not any(error.path for error in result.errors):
            response_data.pop("data", None)  # a request error: execution never started
            _exchange(request).request_error = True
        return response_data

    async def execute_single(  # type: ignore[override]
        self, request: Request, request_adapter: Any, sub_response: Response, context: Any, root_value: Any, request_data: Any
    ) -> ExecutionResult:
        allowed = {OperationType.QUERY} if request_adapter.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                error = GraphQLError(SUBSCRIPTION_OVER_HTTP, extensions={"code": "BAD_REQUEST"})
                return ExecutionResult(data=None, errors=[error])
            raise HttpError(405, "Mutations are sent with POST; GET serves queries only.", headers={"Allow": "POST"}) from None
        except CannotGetOperationTypeError as exc:
            raise HttpError(400, exc.as_http_error_reason()) from None
        except MissingQueryError:
            raise HttpError(400, "The request has no GraphQL query.") from None
