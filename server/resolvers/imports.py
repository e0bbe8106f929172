"""Resolvers of imports: read the uploaded file, start the job (server.domain.imports.jobs), read
a job and its failures."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from models.enums import ImportStatus
from models.imports import ImportFailure, ImportJob
from server.domain.imports import jobs
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id


async def start_import(info: strawberry.Info, kind: str, file: Any, test_mode: bool, *, department_id: Optional[int] = None,
                       options: Optional[dict[str, Any]] = None) -> ImportJob:
    viewer = await require_viewer(info)
    jobs.importer(kind).authorize(viewer)  # before the file is read
    upload: Any = file  # starlette's UploadFile
    content = await upload.read()
    return await jobs.start(viewer, kind, content, filename=upload.filename or "", test_mode=test_mode,
                            department_id=department_id, options=options)


async def import_job(info: strawberry.Info, id: strawberry.ID) -> ImportJob:
    return await jobs.get(await require_viewer(info), to_id(id, "id"))


async def failures(job: ImportJob, first: int, after_row: Optional[int]) -> list[ImportFailure]:
    return await jobs.failures(job, first=first, after_row=after_row)


async def import_jobs(info: strawberry.Info, first: int, after: Optional[str], kind: Optional[str],
                      status: Optional[ImportStatus]) -> tuple[list[ImportJob], bool]:
    viewer = await require_viewer(info)
    return await jobs.listed(viewer, first=first, before_id=to_id(after, "after") if after is not None else None,
                             kind=kind, status=status)
