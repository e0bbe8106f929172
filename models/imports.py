"""Imports from spreadsheets (SPEC §7, issue 12): one job per uploaded sheet, and the rows it
could not import.

`ImportJob`: what was imported (`kind`: "contacts", "work_items"), by whom (an employee or an API
key), in which mode, and how far it got; the counts are exact. `ImportFailure`: one failed row,
its sheet row number (the header is row 1) and why; at most MAX_STORED_FAILURES rows are kept per
job (server/domain/imports/jobs.py), while `failed` still counts every one.
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import ImportStatus


class ImportJob(Model):
    # status QUEUED → RUNNING → DONE (every row tried) or FAILED (the job itself stopped: `error`
    # says why; rows imported before that stay). heartbeat_at moves on with every progress commit:
    # a RUNNING job whose heartbeat is old belonged to a process that stopped.
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    created_by = fields.ForeignKeyField("switchboard.User", related_name="import_jobs", null=True, on_delete=fields.SET_NULL)
    api_key = fields.ForeignKeyField("switchboard.ApiKey", related_name="import_jobs", null=True, on_delete=fields.SET_NULL)
    department = fields.ForeignKeyField("switchboard.Department", related_name="import_jobs", null=True, on_delete=fields.SET_NULL)
    test_mode = fields.BooleanField(default=False)
    filename = fields.CharField(max_length=255, default="")
    options = fields.JSONField(default=dict)  # what the kind's importer was asked (its own keys)
    total_rows = fields.IntField(default=0)
    done_rows = fields.IntField(default=0)
    imported = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    error = fields.CharField(max_length=500, null=True)
    process_id = fields.CharField(max_length=32, default="")
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_job"
        indexes = (
            Index(fields=("created_by_id", "id"), name="import_job_creator"),
            Index(fields=("status",), name="import_job_status"),
        )


class ImportFailure(Model):
    id = fields.BigIntField(primary_key=True)
    job = fields.ForeignKeyField("switchboard.ImportJob", related_name="failures", on_delete=fields.CASCADE)
    row = fields.IntField()  # the sheet's row number, the header being row 1
    field = fields.CharField(max_length=64, null=True)  # the column at fault, when one is
    reason = fields.CharField(max_length=1000)

    class Meta:
        table = "import_failure"
        indexes = (Index(fields=("job_id", "row"), name="import_failure_job_row"),)
