"""Imports from .xlsx sheets (SPEC §7): the job a sheet becomes, its failed rows, and the root
fields: importContacts and importWorkItems (uploads), importJob (status), and the templates at
GET /imports/templates/<kind>.xlsx (server/http/imports.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.file_uploads import Upload

from models.enums import ImportStatus as ImportStatusEnum
from models.imports import ImportFailure as ImportFailureModel
from models.imports import ImportJob as ImportJobModel
from server.domain.imports.jobs import MAX_STORED_FAILURES
from server.resolvers import imports as resolvers
from server.schema.work_items import PageInfo

ImportStatus = strawberry.enum(
    ImportStatusEnum, name="ImportStatus",
    description="QUEUED, RUNNING, DONE (every row tried), FAILED (the job stopped: `error` says why; rows imported before stay).",
)


@strawberry.type(description="A row of the sheet that was not imported.")
class ImportFailure:
    row: int = strawberry.field(description="The row in the sheet; the header is row 1.")
    field: Optional[str] = strawberry.field(description="The column at fault, when one is.")
    reason: str

    @classmethod
    def from_model(cls, row: ImportFailureModel) -> "ImportFailure":
        return cls(row=row.row, field=row.field, reason=row.reason)


@strawberry.type(description="One uploaded sheet being imported in the background: follow it with importJob or importJobProgress.")
class ImportJob:
    id: strawberry.ID
    kind: str
    status: ImportStatus
    test_mode: bool
    filename: str
    total_rows: int = strawberry.field(description="The sheet's rows below the header (blank rows left out).")
    done_rows: int = strawberry.field(description="Rows tried so far: imported + updated + failed.")
    imported: int = strawberry.field(description="Rows that made a new record.")
    updated: int = strawberry.field(description="Rows that updated an existing record (a contact with the row's email).")
    failed: int = strawberry.field(description="Rows refused; every one counted, the first 1000 listed in failures.")
    error: Optional[str] = strawberry.field(description="FAILED: why the job stopped.")
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    model: strawberry.Private[ImportJobModel]

    @strawberry.field(description=f"The failed rows by row number (at most {MAX_STORED_FAILURES} are kept), after `afterRow`.")
    async def failures(self, first: int = 100, after_row: Optional[int] = None) -> list[ImportFailure]:
        return [ImportFailure.from_model(f) for f in await resolvers.failures(self.model, first, after_row)]

    @classmethod
    def from_model(cls, job: ImportJobModel) -> "ImportJob":
        return cls(
            id=strawberry.ID(str(job.id)), kind=job.kind, status=job.status, test_mode=job.test_mode, filename=job.filename,
            total_rows=job.total_rows, done_rows=job.done_rows, imported=job.imported, updated=job.updated, failed=job.failed,
            error=job.error, created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at, model=job,
        )


@strawberry.type
class ImportJobEdge:
    cursor: str
    node: ImportJob


@strawberry.type(description="Import jobs, newest first.")
class ImportJobConnection:
    edges: list[ImportJobEdge]
    page_info: PageInfo


@strawberry.type
class ImportQuery:
    @strawberry.field(
        description="The import jobs I started (admins: everyone's), newest first, of one kind (contacts, work_items) or "
        "status when given; `first` 1 to 100, `after` a page's endCursor."
    )
    async def import_jobs(self, info: strawberry.Info, first: int = 20, after: Optional[str] = None, kind: Optional[str] = None,
                          status: Optional[ImportStatus] = None) -> ImportJobConnection:
        rows, has_next = await resolvers.import_jobs(info, first, after, kind, status)
        edges = [ImportJobEdge(cursor=str(job.id), node=ImportJob.from_model(job)) for job in rows]
        return ImportJobConnection(edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="An import job: its creator's, and every one for admins; NOT_FOUND otherwise.")
    async def import_job(self, info: strawberry.Info, id: strawberry.ID) -> ImportJob:
        return ImportJob.from_model(await resolvers.import_job(info, id))


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Import contacts from an .xlsx sheet (the template: GET /imports/templates/contacts.xlsx?language=en|pl|fr|ru). "
        "Email is mandatory; a blank company makes a World contact; a row whose email is a contact's already updates that contact "
        "(a later row of the same email updates what an earlier one made). Returns the job at once (VALIDATION on `file` when it is "
        "not .xlsx, lacks the Email column or has more than 10,000 rows); the rows are imported in the background, each on its own, "
        "and a refused row is listed with its row number and reason while the rest import. testMode: the contacts exist only in test mode."
    )
    async def import_contacts(self, info: strawberry.Info, file: Upload, test_mode: bool = False) -> ImportJob:
        return ImportJob.from_model(await resolvers.start_import(info, "contacts", file, test_mode))

    @strawberry.mutation(
        description="Create work items from an .xlsx sheet, one submitted item per row (the template: "
        "GET /imports/templates/work_items.xlsx?language=en|pl|fr|ru). Type (TICKET, CASE, ACTION) and Title are mandatory; "
        "Department, Queue, Category and Case type by name, contacts, Assignee and Owner by email, Priority, Due date, Custom data "
        "(a JSON object); an ACTION row is started on the case its Case column names. Each row goes through the same rules as "
        "createWorkItem, submitWorkItem and assignWorkItem: a refused row is listed with its row number, column and reason and leaves "
        "nothing, while the rest import. Returns the job at once (VALIDATION on `file` when it is not .xlsx, lacks the Type or Title "
        "column or has more than 10,000 rows). testMode: the items (and the contacts they take) are test-mode ones."
    )
    async def import_work_items(self, info: strawberry.Info, file: Upload, test_mode: bool = False) -> ImportJob:
        return ImportJob.from_model(await resolvers.start_import(info, "work_items", file, test_mode))
