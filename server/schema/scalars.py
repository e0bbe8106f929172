"""Our own scalars.

`JSON` is strawberry's JSON scalar (same name, description and specification URL) that holds to
the specification: a number must be finite. Python's `json.loads` accepts `NaN`, `Infinity` and
`-Infinity`, and a literal such as `1e400` becomes infinity; none of them is JSON, and written back
they break every standard JSON parser reading the response. So they are refused on the way in —
in variables and in literals, whatever parsed the request body — and never written out.
"""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import GraphQLError

from server.domain import limits

_SPEC = "https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf"


def _parse(value: Any) -> Any:
    problem = limits.json_problem(value)
    if problem is not None:
        raise GraphQLError(f"JSON {problem}", extensions={"code": "VALIDATION"})
    return value


def _serialize(value: Any) -> Any:
    # nothing non-standard is stored (inputs are checked); should it be, the field fails (logged,
    # INTERNAL) rather than write what clients cannot parse
    problem = limits.json_problem(value)
    if problem is not None:
        raise ValueError(f"a stored JSON value is not JSON: {problem}")
    return value


JSON = NewType("JSON", object)

# handed to the schema as StrawberryConfig(scalar_map=SCALARS) (server/schema/__init__.py)
SCALARS = {
    JSON: strawberry.scalar(
        name="JSON",
        description=f"The `JSON` scalar type represents JSON values as specified by [ECMA-404]({_SPEC}).",
        specified_by_url=_SPEC,
        serialize=_serialize,
        parse_value=_parse,
    ),
}
