"""`importJobProgress(id)`: an import job as it stands (SNAPSHOT), then again each time it moves
(started, each chunk of rows committed, finished). Its creator's and admins', like importJob;
every push reads the job again through the same visibility, so a viewer who may no longer see it
is told NOT_FOUND and the stream ends. The push of DONE or FAILED is the last: the server
completes the operation after it (and right after the snapshot of a job that has ended)."""

from __future__ import annotations

from typing import Any, Hashable, Optional

import strawberry

from server.domain.errors import NotFound
from server.domain.events import Envelope, ImportJobProgressed, import_job_channel
from server.domain.imports import jobs
from server.domain.viewer import Viewer
from server.schema.imports import ImportJob
from server.schema.live import cursor_of
from server.subscriptions.cohorts import Opened


@strawberry.type(description="An import job: as it stands when subscribed (snapshot), then after each step.")
class ImportJobUpdate:
    snapshot: bool
    cursor: Optional[str]
    job: ImportJob


class ImportJobSource:
    name = "importJobProgress"
    states = False

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        job = await jobs.get(viewer, args["job_id"])
        return Opened(channels=frozenset({import_job_channel(job.id)}), key=job.id)

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable:
        return (viewer.kind.value, viewer.id, viewer.is_admin)  # its creator, or an admin: few watch one job

    def final(self, value: ImportJobUpdate) -> bool:
        return value.job.status in jobs.ENDED

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> ImportJobUpdate:
        return ImportJobUpdate(snapshot=True, cursor=cursor_of(cursor), job=ImportJob.from_model(await jobs.get(viewer, opened.key)))

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> ImportJobUpdate | None:
        event = envelope.event
        if not isinstance(event, ImportJobProgressed) or event.job_id != opened.key:
            return None
        job = await jobs.visible(viewer).filter(id=event.job_id).first()
        if job is None:
            raise NotFound(f"No import job {event.job_id}.")
        return ImportJobUpdate(snapshot=False, cursor=cursor_of(envelope.cursor), job=ImportJob.from_model(job))


source = ImportJobSource()
