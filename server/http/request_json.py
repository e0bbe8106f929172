"""The JSON a client sends — an HTTP request body, a graphql-transport-ws message — parsed within
bounds, the same way for both:

- `NaN`, `Infinity` and `-Infinity` are read (Python's reading) and refused where a value is
  coerced, naming the field: the JSON scalar and Float refuse non-finite numbers (VALIDATION);
- an integer of more than `MAX_INT_DIGITS` digits is refused (Python refuses to convert longer
  ones anyway, and no field takes such a number);
- nesting deeper than `MAX_JSON_DEPTH` levels is refused, without recursion on our side;
- a string (or an object key) holding a lone UTF-16 surrogate (`"\\ud800"`) is refused: it is no
  Unicode text, and it could not be stored, logged or written back as UTF-8.

A refusal is `RequestJSONError` with a message for the client (HTTP: 400 BAD_REQUEST;
WebSocket: close 4400).
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 100
MAX_INT_DIGITS = 4_300  # sys.int_info.default_max_str_digits


class RequestJSONError(json.JSONDecodeError):
    """A JSONDecodeError, so that strawberry's WebSocket adapter treats it as a message that is not
    JSON (`NonJsonMessageReceived`, close 4400) like any other."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise RequestJSONError(f"The request JSON holds an integer of more than {MAX_INT_DIGITS} digits.")
    return int(text)


def parse_request_json(data: str | bytes) -> Any:
    too_deep = f"The request JSON is nested more than {MAX_JSON_DEPTH} levels deep."
    try:
        value = json.loads(data, parse_int=_integer)
    except RequestJSONError:
        raise
    except UnicodeDecodeError:
        raise RequestJSONError("The request is not valid UTF-8.") from None
    except RecursionError:
        raise RequestJSONError(too_deep) from None
    except ValueError:  # json.JSONDecodeError, a number Python cannot convert
        raise RequestJSONError("The request is not valid JSON.") from None
    problem = _problem(value)
    if problem is not None:
        raise RequestJSONError(problem)
    return value


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(value: object) -> str | None:
    """What is wrong with a parsed value's depth or strings, without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _is_text(item):
                return "The request JSON holds a string with a lone surrogate (\\ud800-\\udfff), which is not text."
            continue
        if isinstance(item, dict):
            keys = list(item.keys())
            children = [*keys, *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if children and depth > MAX_JSON_DEPTH:
            return f"The request JSON is nested more than {MAX_JSON_DEPTH} levels deep."
        stack.extend((child, depth + 1) for child in children)
    return None
