"""Who may administer what: the one check that a viewer is an admin, and the one way a rejected
administrative change reports its invalid fields."""

from __future__ import annotations

from typing import Callable

from server.domain.errors import FieldProblem, Forbidden, ValidationError
from server.domain.viewer import Viewer


def require_admin(viewer: Viewer, doing: str = "do this") -> None:
    """Admins only; anyone else is told what only admins do ("manage API keys")."""
    if not viewer.is_admin:
        raise Forbidden(f"Only admins {doing}.")


def admin_check(doing: str) -> Callable[[Viewer], None]:
    """`require_admin` for one area, telling others what only admins do there."""
    def check(viewer: Viewer) -> None:
        require_admin(viewer, doing)
    return check


def raise_problems(problems: list[FieldProblem], what: str) -> None:
    """Reject a change with every invalid field of `what` ("department", "mailbox") at once."""
    if problems:
        raise ValidationError(f"The {what} has invalid fields: " + "; ".join(p.message for p in problems), problems)
