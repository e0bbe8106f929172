"""Filling `{placeholders}` in template text (email templates, SPEC §5.1).

A placeholder is a name in braces, `{ref}`; `{{` and `}}` stand for a literal brace. A name that
has no value, or a brace left open or closed alone, is a VALIDATION error naming the field and the
placeholder — a template never sends "{oldName}". Which names there are, and their values, is
server/domain/email_templates.py's (composing, and case actions that send email).
"""

from __future__ import annotations

import html
import re
from typing import Callable, Mapping

from server.domain.errors import FieldProblem, ValidationError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def problems(template_text: str, names: Mapping[str, object] | set[str], field: str) -> list[FieldProblem]:
    """Every unknown placeholder and stray brace of `template_text`, as problems of `field`."""
    found = []
    for match in _TOKEN.finditer(template_text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            found.append(FieldProblem(field, f"{field} has an unmatched {token!r} at {match.start()}: write {token * 2} for a brace"))
        elif match.group(1) not in names:
            found.append(FieldProblem(field, f"{field} uses the unknown placeholder {token}; known: {', '.join(sorted(names))}"))
    return found


def render(template_text: str, values: Mapping[str, str], *, field: str = "template", escape: Callable[[str], str] = str) -> str:
    """`template_text` with every placeholder replaced by its value (passed through `escape`)."""
    found = problems(template_text, values, field)
    if found:
        raise ValidationError("; ".join(p.message for p in found), found)

    def replace(match: re.Match) -> str:
        token = match.group(0)
        return token[0] if token in ("{{", "}}") else escape(values[match.group(1)])

    return _TOKEN.sub(replace, template_text)


def render_html(template_text: str, values: Mapping[str, str], *, field: str = "htmlBody") -> str:
    """As `render`, with the values HTML-escaped."""
    return render(template_text, values, field=field, escape=html.escape)
