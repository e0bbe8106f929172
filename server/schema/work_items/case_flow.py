"""Case types as clients see them: ordered steps of actions."""

from __future__ import annotations

import strawberry

from models.case_flow import CaseType as CaseTypeModel
from models.case_flow import ActionTemplate as ActionTemplateModel
from models.case_flow import CaseStep as CaseStepModel
from server.schema.work_items.enums import ActionKind


@strawberry.type
class ActionTemplate:
    title: str
    kind: ActionKind


@strawberry.type
class CaseStep:
    position: int
    name: str
    actions: list[ActionTemplate]


@strawberry.type(description="The flow a case follows: ordered steps of actions.")
class CaseType:
    id: strawberry.ID
    name: str
    model: strawberry.Private[CaseTypeModel]

    @classmethod
    def from_model(cls, row: CaseTypeModel) -> "CaseType":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, model=row)

    @strawberry.field
    async def steps(self) -> list[CaseStep]:
        steps = await CaseStepModel.filter(case_type_id=self.model.id).order_by("position")
        templates = await ActionTemplateModel.filter(step_id__in=[s.id for s in steps]).order_by("position", "id")
        return [
            CaseStep(
                position=s.position,
                name=s.name,
                actions=[ActionTemplate(title=t.title, kind=t.kind) for t in templates if t.step_id == s.id],
            )
            for s in steps
        ]
