"""Root mutations of the case type administration, admins only: anyone else gets FORBIDDEN and
nothing changes."""

from __future__ import annotations

import strawberry

from server.resolvers import case_types as resolvers
from server.schema.work_items import ActionTemplate, CaseType


@strawberry.type
class CaseTypeMutation:
    create_case_type: CaseType = strawberry.mutation(
        resolver=resolvers.create_case_type, description="Admins: a new case type with its steps and their actions."
    )
    update_action_template: ActionTemplate = strawberry.mutation(
        resolver=resolvers.update_action_template,
        description="Admins: change an action template; actions started from it afterwards follow it.",
    )
