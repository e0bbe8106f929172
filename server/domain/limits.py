"""The size limits of what clients send, in one place for every caller (GraphQL, mail, portal).

Every text field has a maximum length in characters; a JSON value (custom data, a filter value)
must be standard JSON — finite numbers only — and at most MAX_JSON_BYTES once encoded.
"""

from __future__ import annotations

import math
from typing import Any

# ids and stored counts are 32-bit `integer` columns: a larger number names nothing that exists,
# and PostgreSQL refuses it as a query parameter
MAX_DB_INT = 2**31 - 1
MIN_DB_INT = -(2**31)

MAX_JSON_DEPTH = 32


def fits_db_int(value: int) -> bool:
    return MIN_DB_INT <= value <= MAX_DB_INT


def json_problem(value: Any, depth: int = 0) -> str | None:
    """What makes `value` not standard JSON (a non-finite number, a non-string key, a value
    nested too deep), or None."""
    if depth > MAX_JSON_DEPTH:
        return f"values may be nested at most {MAX_JSON_DEPTH} levels deep"
    if isinstance(value, float) and not math.isfinite(value):
        return "numbers must be finite: NaN, Infinity and -Infinity are not JSON"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return "object keys must be strings"
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
    return None
