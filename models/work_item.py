"""Work items — tickets, cases and actions in one table — and their references and links (SPEC §2, §3)."""

from typing import Any, Iterable

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models import search_text
from models.enums import ActionKind, Priority, ResolutionMethod, ReviewOutcome, ReviewStage, Status, WaitType, WorkItemType


class ReferenceCounter(Model):
    # The last number handed out for one reference prefix (T, C, A).

    prefix = fields.CharField(max_length=4, primary_key=True)
    value = fields.IntField()

    class Meta:
        table = "reference_counter"


class WorkItem(Model):
    # Columns added after the first migration carry a db_default when NOT NULL, so that adding
    # them to a table that already has rows works (SQLite and PostgreSQL refuse it otherwise).
    id = fields.IntField(primary_key=True)
    ref = fields.CharField(max_length=32, unique=True)
    type = fields.CharEnumField(WorkItemType, max_length=8)
    title = fields.CharField(max_length=500, null=True)
    description = fields.TextField(null=True)
    status = fields.CharEnumField(Status, max_length=16, default=Status.DRAFT)
    wait_type = fields.CharEnumField(WaitType, max_length=16, null=True)
    resolution_method = fields.CharEnumField(ResolutionMethod, max_length=32, null=True)

    department = fields.ForeignKeyField("switchboard.Department", related_name="work_items", on_delete=fields.RESTRICT)
    team = fields.ForeignKeyField("switchboard.Team", related_name="work_items", null=True, on_delete=fields.SET_NULL)
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="work_items", null=True, on_delete=fields.SET_NULL)
    assignee = fields.ForeignKeyField(
        "switchboard.User", related_name="assigned_items", null=True, on_delete=fields.SET_NULL
    )
    last_assignee = fields.ForeignKeyField(
        "switchboard.User", related_name="last_assigned_items", null=True, on_delete=fields.SET_NULL
    )
    owner = fields.ForeignKeyField("switchboard.User", related_name="owned_items", null=True, on_delete=fields.SET_NULL)

    company = fields.ForeignKeyField("switchboard.Company", related_name="work_items", null=True, on_delete=fields.RESTRICT)
    primary_contact = fields.ForeignKeyField(
        "switchboard.Contact", related_name="primary_for_items", null=True, on_delete=fields.RESTRICT
    )
    requester = fields.ForeignKeyField(
        "switchboard.Contact", related_name="requested_items", null=True, on_delete=fields.RESTRICT
    )
    contacts = fields.ManyToManyField("switchboard.Contact", related_name="work_items", through="work_item_contact")
    category = fields.ForeignKeyField("switchboard.Category", related_name="work_items", null=True, on_delete=fields.RESTRICT)
    priority = fields.IntEnumField(Priority, default=Priority.NORMAL)

    # SLA
    sla_hours = fields.IntField(null=True)  # per-item override of the department SLA
    due_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)

    due_missed_at = fields.DatetimeField(null=True)  # when the missed due date was recorded (once)

    # waiting: since when, and until when (the follow-up time, or the end of the days to wait)
    wait_started_at = fields.DatetimeField(null=True)
    wait_until = fields.DatetimeField(null=True)
    days_to_wait = fields.IntField(null=True)
    close_if_no_response = fields.BooleanField(default=False)

    resolved_at = fields.DatetimeField(null=True)
    feedback_until = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    custom_data = fields.JSONField(default=dict)
    # the words quick find matches (models/search_text.py), full-text indexed on both databases
    # (migration 0018); written with the title and the custom data: by `save`, and by
    # item_store.save_changes when it changes either
    search_text = fields.TextField(default="", db_default="")
    has_new_info = fields.BooleanField(default=False)
    needs_attention = fields.BooleanField(default=False)  # a case with a problem
    problem = fields.TextField(null=True)  # why it needs attention
    test_mode = fields.BooleanField(default=False)
    # a robot rejected it: it is left for a person
    human_only = fields.BooleanField(default=False, db_default=False)

    # cases: their flow; actions: their kind and the step they belong to
    case_type = fields.ForeignKeyField("switchboard.CaseType", related_name="cases", null=True, on_delete=fields.RESTRICT)
    current_step = fields.IntField(null=True)
    action_kind = fields.CharEnumField(ActionKind, max_length=32, null=True)
    step = fields.IntField(null=True)
    action_template = fields.ForeignKeyField(
        "switchboard.ActionTemplate", related_name="actions", null=True, on_delete=fields.SET_NULL
    )

    # peer review actions: who does it, who reviews it, where it stands
    doer = fields.ForeignKeyField("switchboard.User", related_name="actions_done", null=True, on_delete=fields.SET_NULL)
    reviewer = fields.ForeignKeyField("switchboard.User", related_name="actions_reviewed", null=True, on_delete=fields.SET_NULL)
    review_stage = fields.CharEnumField(ReviewStage, max_length=16, null=True)
    review_outcome = fields.CharEnumField(ReviewOutcome, max_length=16, null=True)
    checklist = fields.JSONField(default=list, db_default="[]")

    # structure: an action's case, a sub-case's parent case; the ticket a case came from; merge target
    parent = fields.ForeignKeyField("switchboard.WorkItem", related_name="children", null=True, on_delete=fields.RESTRICT)
    origin = fields.ForeignKeyField("switchboard.WorkItem", related_name="derived", null=True, on_delete=fields.SET_NULL)
    merged_into = fields.ForeignKeyField(
        "switchboard.WorkItem", related_name="merged_from", null=True, on_delete=fields.SET_NULL
    )

    # who created it: a user, a portal contact or a partner system
    created_by = fields.ForeignKeyField("switchboard.User", related_name="created_items", null=True, on_delete=fields.SET_NULL)
    created_by_contact = fields.ForeignKeyField(
        "switchboard.Contact", related_name="created_items", null=True, on_delete=fields.SET_NULL
    )
    created_by_api_key = fields.ForeignKeyField(
        "switchboard.ApiKey", related_name="created_items", null=True, on_delete=fields.SET_NULL
    )

    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "work_item"
        indexes = (
            Index(fields=("department_id", "status"), name="work_item_department_status"),
            Index(fields=("queue_id", "status", "due_at"), name="work_item_queue_status_due"),
            Index(fields=("assignee_id", "status"), name="work_item_assignee_status"),
            Index(fields=("team_id", "status"), name="work_item_team_status"),
            Index(fields=("requester_id",), name="work_item_requester"),
            Index(fields=("company_id", "type"), name="work_item_company_type"),
            Index(fields=("status", "due_at"), name="work_item_status_due"),
            Index(fields=("created_by_id",), name="work_item_created_by"),
            Index(fields=("parent_id",), name="work_item_parent"),
            Index(fields=("status", "wait_until"), name="work_item_status_wait_until"),
            Index(fields=("status", "feedback_until"), name="work_item_status_feedback_until"),
            Index(fields=("merged_into_id",), name="work_item_merged_into"),
            Index(fields=("origin_id",), name="work_item_origin"),
            # advanced search (SPEC §8); also what deleting a user, category or contact looks up
            Index(fields=("owner_id",), name="work_item_owner"),
            Index(fields=("category_id",), name="work_item_category"),
            Index(fields=("primary_contact_id",), name="work_item_primary_contact"),
            Index(fields=("created_at",), name="work_item_created_at"),
        )

    async def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.search_text = search_text.document(self.title, self.custom_data)
        if update_fields is not None:
            update_fields = list(update_fields)
            if "title" in update_fields or "custom_data" in update_fields:
                update_fields.append("search_text")
        await super().save(*args, update_fields=update_fields, **kwargs)


class WorkItemLink(Model):
    # A person-made link between two work items; stored once with `low_id < high_id`.

    id = fields.IntField(primary_key=True)
    low = fields.ForeignKeyField("switchboard.WorkItem", related_name="links_low", on_delete=fields.CASCADE)
    high = fields.ForeignKeyField("switchboard.WorkItem", related_name="links_high", on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField("switchboard.User", related_name="links_made", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "work_item_link"
        unique_together = (("low", "high"),)
        indexes = (Index(fields=("high_id",), name="work_item_link_high"),)
