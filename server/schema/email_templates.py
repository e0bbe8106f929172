"""Email templates (SPEC §5.1): their type and inputs; the root fields are in compose_root.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from server.domain.email_templates import PLACEHOLDERS

_PLACEHOLDERS = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


@strawberry.type(description=f"Admin-managed email text with placeholders ({_PLACEHOLDERS}; {{{{ and }}}} for braces).")
class EmailTemplate:
    id: strawberry.ID
    name: str
    subject: str
    text_body: str
    html_body: Optional[str]
    department_id: Optional[strawberry.ID] = strawberry.field(description="Null: a global template, for every department.")
    is_active: bool
    created_at: datetime
    updated_at: datetime


@strawberry.input
class EmailTemplateInput:
    name: str
    subject: str = ""
    text_body: str = ""
    html_body: Optional[str] = None
    department_id: Optional[strawberry.ID] = None
    is_active: bool = True


@strawberry.input(description="Only the fields given change; departmentId null makes the template global.")
class EmailTemplateUpdate:
    name: Optional[str] = strawberry.UNSET
    subject: Optional[str] = strawberry.UNSET
    text_body: Optional[str] = strawberry.UNSET
    html_body: Optional[str] = strawberry.UNSET
    department_id: Optional[strawberry.ID] = strawberry.UNSET
    is_active: Optional[bool] = strawberry.UNSET


@strawberry.type(description="A template rendered for a work item and the person writing.")
class RenderedEmail:
    subject: str
    text_body: str
    html_body: Optional[str]
