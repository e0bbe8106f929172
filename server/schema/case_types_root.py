"""Root mutations of the case type administration, admins only: anyone else gets FORBIDDEN and
nothing changes. Changes to steps return the whole case type (positions may have moved)."""

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
        description="Admins: change an action template or move it within its step; actions started from it afterwards follow it.",
    )
    update_case_type: CaseType = strawberry.mutation(
        resolver=resolvers.update_case_type, description="Admins: rename, describe, deactivate or reactivate a case type."
    )
    add_case_step: CaseType = strawberry.mutation(
        resolver=resolvers.add_case_step,
        description="Admins: a new step with its actions at `position` (left out: last); later steps move one down.",
    )
    update_case_step: CaseType = strawberry.mutation(resolver=resolvers.update_case_step, description="Admins: rename or move a step.")
    delete_case_step: CaseType = strawberry.mutation(
        resolver=resolvers.delete_case_step,
        description="Admins: delete a step and its actions; CONFLICT while a running case is at it, or it is the last step.",
    )
    add_action_template: CaseType = strawberry.mutation(
        resolver=resolvers.add_action_template, description="Admins: a new action of a step at `position` (left out: last)."
    )
    delete_action_template: CaseType = strawberry.mutation(
        resolver=resolvers.delete_action_template,
        description="Admins: delete an action template; CONFLICT while an open action was started from it, or it is its step's last.",
    )
