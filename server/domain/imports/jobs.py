"""Import jobs: a sheet checked and read when it is uploaded, then imported row by row in the
background of the server process, with its progress committed and pushed as it goes.

    job = await jobs.start(viewer, "contacts", content, filename="people.xlsx", test_mode=False)
    job = await jobs.get(viewer, job.id)           # its creator's (and admins'); NOT_FOUND otherwise
    rows = await jobs.failures(job, first=100)      # the failed rows, by row number
    job = await jobs.finished(job.id)               # this process: wait for its end (tests, benches)

A kind of import is an `Importer` (its columns, who may use it, what one row does), found by
name in KINDS. `start` checks the viewer may import, reads the sheet (off the event loop; a file
that is not .xlsx, lacks a required column or has too many rows is a VALIDATION error on `file`
and no job is made), and returns the QUEUED job at once with `total_rows` known. One creator has at most
MAX_ACTIVE_PER_CREATOR jobs queued or running at once (LIMIT_EXCEEDED past that).

Rows are imported CHUNK at a time (an importer may set its own `chunk`), each chunk in one unit
of work that also commits the job's counts, the chunk's failures and an `ImportJobProgressed`
event (the `importJobProgress` subscription pushes it; so are the start and the end). Each row is
a savepoint of its own: a row the importer refuses (any DomainError, or a unique constraint
another change won meanwhile) rolls back whole, events included, and is recorded as a failure with
its row number, field and reason, and the next row goes on. At most MAX_STORED_FAILURES failures are
kept per job; `failed` counts them all. The job's viewer is read again before every chunk: one
whose access was withdrawn stops the job (FAILED), as would any unexpected error (logged; the
chunks committed before it stay imported, the chunk it broke rolls back).

A process that stops while a job runs: on shutdown its running jobs are cancelled and marked
FAILED ("the server stopped"); a process that died without that leaves a RUNNING job whose
heartbeat (moved on with every chunk) gets old — any process marks it FAILED at start-up, and
`get` does when it reads one (STALE_AFTER). Jobs are not resumed: the uploaded file is not kept
(only its rows, in the memory of the process importing them). An importer says in `again` what
importing the same file again does, and the stopped job's error says it: contacts are found by
their email (rows already imported update their contacts), so the same file finishes the job;
work items have no natural key, so the rows already tried must be left out.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, AsyncIterator, Protocol, Sequence

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.enums import ImportStatus
from models.imports import ImportFailure, ImportJob
from server.domain import clock, limits
from server.domain import viewer as viewers
from server.domain.errors import Conflict, DomainError, LimitExceeded, NotFound, ValidationError
from server.domain.events import ImportJobProgressed
from server.domain.imports import sheets
from server.domain.imports.sheets import Column, Row
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

log = logging.getLogger(__name__)

PROCESS_ID = uuid.uuid4().hex  # this process among those running jobs (a job's process_id)
# kind → the module whose IMPORTER imports it, imported when first chosen (as broadcaster picks a
# backend): the importers build on this module, so it cannot import them
KINDS = {
    "contacts": "server.domain.contacts.importing",
    "work_items": "server.domain.work_item_import.importer",
}
CHUNK = 100  # rows between two progress commits
CHUNK_ATTEMPTS = 3  # a chunk PostgreSQL rolled back to break a deadlock is tried again
MAX_STORED_FAILURES = 1000
MAX_FAILURES_PAGE = 1000
MAX_ACTIVE_PER_CREATOR = 3  # jobs one employee or API key may have queued or running at once
STALE_AFTER = timedelta(minutes=5)  # a RUNNING job whose heartbeat is older was left by a dead process
IMPORTED, UPDATED = "IMPORTED", "UPDATED"
AGAIN = "import the file again"
ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)
ENDED = (ImportStatus.DONE, ImportStatus.FAILED)


@dataclass
class Run:
    """One job as its importer sees it: the job, the viewer it imports as (read again before every
    chunk) and a cache the importer may keep look-ups in for the length of the job."""

    job: ImportJob
    viewer: Viewer
    cache: dict[str, Any] = field(default_factory=dict)


class Importer(Protocol):
    kind: str
    title: str  # the template's sheet name
    columns: Sequence[Column]

    def authorize(self, viewer: Viewer) -> None:
        """Raise Forbidden when `viewer` may not import this kind (or download its template)."""

    async def import_row(self, run: Run, row: Row) -> str:
        """Import one row (in its savepoint of the chunk's unit of work, which the domain actions it
        calls join): IMPORTED or UPDATED; a DomainError refuses the row (its `field`, or the one
        field of its problems, names the column at fault). An importer may also set `chunk`: rows
        per transaction (CHUNK by default; fewer where a chunk holds locks others wait for), and
        `again`: what to do with a file whose job stopped half-way (AGAIN by default; `{done_rows}`
        is replaced by the rows the job had tried)."""


def importer(kind: str) -> Importer:
    module = KINDS.get(kind)
    if module is None:
        raise NotFound(f"No import of {kind!r}; there are imports of {', '.join(sorted(KINDS))}.", field="kind")
    return importlib.import_module(module).IMPORTER


def template(viewer: Viewer, kind: str, language: str = "en") -> bytes:
    chosen = importer(kind)
    chosen.authorize(viewer)
    return sheets.template(chosen.columns, language=language, title=chosen.title)


# this process's running jobs: job id → its task (held, so it is not collected mid-flight)
_tasks: dict[int, asyncio.Task] = {}


async def start(
    viewer: Viewer,
    kind: str,
    content: bytes,
    *,
    filename: str = "",
    test_mode: bool = False,
    department_id: int | None = None,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    chosen = importer(kind)
    chosen.authorize(viewer)
    fresh = Q(heartbeat_at__gte=clock.now() - STALE_AFTER) | Q(heartbeat_at__isnull=True, created_at__gte=clock.now() - STALE_AFTER)
    if await visible_own(viewer).filter(fresh, status__in=ACTIVE).count() >= MAX_ACTIVE_PER_CREATOR:
        raise LimitExceeded(f"{MAX_ACTIVE_PER_CREATOR} of your imports are still running; start another when one has finished.")
    rows = await asyncio.to_thread(sheets.read, content, chosen.columns)
    if not rows:
        raise ValidationError.single("file", "the sheet has no rows below its header row")
    job = await ImportJob.create(
        kind=kind, status=ImportStatus.QUEUED, test_mode=test_mode, filename=(filename or "")[:255],
        created_by_id=viewer.id if viewer.is_user else None, api_key_id=viewer.id if viewer.is_api_key else None,
        department_id=department_id, options=options or {}, total_rows=len(rows), process_id=PROCESS_ID,
        created_at=clock.now(),
    )
    task = asyncio.get_running_loop().create_task(_run(job, chosen, viewer, rows), name=f"import job {job.id}")
    _tasks[job.id] = task
    task.add_done_callback(lambda _: _tasks.pop(job.id, None))
    return job


def visible_own(viewer: Viewer):
    """The jobs `viewer` started."""
    if viewer.is_user:
        return ImportJob.filter(created_by_id=viewer.id)
    if viewer.is_api_key:
        return ImportJob.filter(api_key_id=viewer.id)
    return ImportJob.filter(id=-1)


def visible(viewer: Viewer):
    """The jobs `viewer` may follow: their own; admins every one."""
    return ImportJob.all() if viewer.is_admin else visible_own(viewer)


async def get(viewer: Viewer, job_id: int) -> ImportJob:
    job = await visible(viewer).filter(id=job_id).first()
    if job is None:
        raise NotFound(f"No import job {job_id}.")
    if job.status in ACTIVE and _abandoned(job):
        await _interrupted(Q(id=job.id), "the server importing it stopped")
        job = await ImportJob.get(id=job_id)
    return job


MAX_JOBS_PAGE = 100


async def listed(viewer: Viewer, *, first: int = 20, before_id: int | None = None, kind: str | None = None,
                 status: ImportStatus | None = None) -> tuple[list[ImportJob], bool]:
    """The jobs `viewer` may follow (their own; admins every one), newest first, `first` at a time
    below the job `before_id`; and whether more follow. A job in the page left running by a
    process that died is marked FAILED first, as `get` does."""
    if not 1 <= first <= MAX_JOBS_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_JOBS_PAGE}, got {first}")
    limits.check({"kind": kind})
    query = visible(viewer)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = list(await query.order_by("-id").limit(first + 1))
    page, has_next = rows[:first], len(rows) > first
    stale = [job.id for job in page if job.status in ACTIVE and _abandoned(job)]
    if stale:
        await _interrupted(Q(id__in=stale), "the server importing it stopped")
        fresh = {job.id: job for job in await ImportJob.filter(id__in=stale)}
        page = [fresh.get(job.id, job) for job in page]
    return page, has_next


async def failures(job: ImportJob, *, first: int = 100, after_row: int | None = None) -> list[ImportFailure]:
    if not 1 <= first <= MAX_FAILURES_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_FAILURES_PAGE}, got {first}")
    query = ImportFailure.filter(job_id=job.id)
    if after_row is not None:
        query = query.filter(row__gt=after_row)
    return list(await query.order_by("row", "id").limit(first))


async def finished(job_id: int, timeout: float = 60.0) -> ImportJob:
    """The job once it has ended, when this process runs it (tests and benches wait with this)."""
    task = _tasks.get(job_id)
    if task is not None:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    return await ImportJob.get(id=job_id)


def _abandoned(job: ImportJob) -> bool:
    if job.process_id == PROCESS_ID:
        return job.id not in _tasks
    seen = job.heartbeat_at or job.created_at
    return seen < clock.now() - STALE_AFTER


def _event(job: ImportJob) -> ImportJobProgressed:
    return ImportJobProgressed(
        job_id=job.id, kind=job.kind, status=job.status.value, total_rows=job.total_rows, done_rows=job.done_rows,
        imported=job.imported, updated=job.updated, failed=job.failed, created_by_id=job.created_by_id, api_key_id=job.api_key_id,
    )


COUNTS = ("done_rows", "imported", "updated", "failed")


async def _commit(job: ImportJob, new_failures: list[ImportFailure]) -> None:
    """Save the job's state with `new_failures` and push it, in the current unit of work or its own."""
    job.heartbeat_at = clock.now()
    async with unit_of_work() as uow:
        await job.save(update_fields=[*COUNTS, "status", "error", "process_id", "started_at", "heartbeat_at", "finished_at"])
        if new_failures:
            await ImportFailure.bulk_create(new_failures)
        uow.emit(_event(job))


def _reason(error: DomainError) -> tuple[str | None, str]:
    name = error.field
    problems = getattr(error, "problems", None) or []
    if name is None and len({p.field for p in problems}) == 1:
        name = problems[0].field
    return name, error.message


async def _run(job: ImportJob, chosen: Importer, viewer: Viewer, rows: list[Row]) -> None:
    job.status, job.started_at, job.process_id = ImportStatus.RUNNING, clock.now(), PROCESS_ID
    chunk = getattr(chosen, "chunk", CHUNK)
    try:
        await _commit(job, [])
        run = Run(job, viewer)
        for offset in range(0, len(rows), chunk):
            current = await viewers.refresh(run.viewer)
            if current is None:
                raise _Stopped("the importer's access was withdrawn")
            run.viewer = current
            for attempt in range(CHUNK_ATTEMPTS):
                try:
                    await _import_chunk(job, chosen, run, rows[offset:offset + chunk])
                    break
                except Conflict:  # PostgreSQL broke a deadlock with another change: nothing of the chunk stayed
                    if attempt == CHUNK_ATTEMPTS - 1:
                        raise
        job.status = ImportStatus.DONE
    except asyncio.CancelledError:
        job.status, job.error = ImportStatus.FAILED, f"the server stopped while importing; {again(job)}"
        job.finished_at = clock.now()
        await asyncio.shield(_commit(job, []))
        raise
    except _Stopped as stop:
        job.status, job.error = ImportStatus.FAILED, str(stop)
    except Exception:  # noqa: BLE001 - the job ends FAILED and says so; the rows before it stay
        log.exception("Import job %s stopped at an unexpected error", job.id)
        job.status = ImportStatus.FAILED
        job.error = f"an unexpected error stopped the import after {job.done_rows} of {job.total_rows} rows"
    job.finished_at = clock.now()
    try:
        await _commit(job, [])
    except Exception:  # noqa: BLE001 - the heartbeat stops; the job reads as interrupted later
        log.exception("Could not record the end of import job %s", job.id)


async def _import_chunk(job: ImportJob, chosen: Importer, run: Run, rows: list[Row]) -> None:
    """One transaction for the rows and the progress they make (one commit, not one per row:
    SQLite syncs the disk at every commit); each row in a savepoint of its own, so a refused row
    leaves nothing, not even the events it emitted. The job's counts move only once it commits."""
    before = {name: getattr(job, name) for name in COUNTS}
    failures: list[ImportFailure] = []
    try:
        async with unit_of_work() as uow:
            for row in rows:
                mark = len(uow.events)
                outcome, problem = await _import_one(chosen, run, row)
                if outcome == IMPORTED:
                    job.imported += 1
                elif outcome == UPDATED:
                    job.updated += 1
                else:
                    del uow.events[mark:]
                    job.failed += 1
                    if job.failed <= MAX_STORED_FAILURES:
                        name, reason = problem
                        failures.append(ImportFailure(job_id=job.id, row=row.number, field=(name or None) and name[:64], reason=reason[:1000]))
                job.done_rows += 1
            await _commit(job, failures)
    except BaseException:
        for name, value in before.items():
            setattr(job, name, value)
        raise


class _Stopped(Exception):
    pass


async def _import_one(chosen: Importer, run: Run, row: Row) -> tuple[str | None, tuple[str | None, str]]:
    try:
        async with in_transaction():  # a savepoint in the chunk's transaction
            outcome = await chosen.import_row(run, row)
        return outcome, (None, "")
    except DomainError as error:
        return None, _reason(error)
    except IntegrityError:
        return None, (None, "another change wrote the same record at the same time; import this row again")


def again(job: ImportJob) -> str:
    """What to do with the file of `job`, stopped after `done_rows` rows: its importer's `again`."""
    try:
        advice = getattr(importer(job.kind), "again", AGAIN)
    except NotFound:  # a kind no longer imported
        advice = AGAIN
    return advice.replace("{done_rows}", str(job.done_rows))


async def _interrupted(where: Q, reason: str) -> int:
    """Mark FAILED the active jobs `where`: `reason`, and what to do with their files."""
    now = clock.now()
    jobs = list(await ImportJob.filter(where, status__in=ACTIVE))
    for job in jobs:
        job.status, job.error, job.finished_at = ImportStatus.FAILED, f"{reason}; {again(job)}", now
        await _commit(job, [])
    return len(jobs)


async def fail_abandoned() -> int:
    """Mark FAILED the jobs left running by processes that stopped (their heartbeat is old)."""
    cutoff = clock.now() - STALE_AFTER
    stale = (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)) & ~Q(process_id=PROCESS_ID)
    return await _interrupted(stale, "the server importing it stopped")


@asynccontextmanager
async def running_imports() -> AsyncIterator[None]:
    """The process's side of imports: at start, fail the jobs of dead processes; at the end, stop
    (and mark FAILED) the jobs still running here."""
    try:
        await fail_abandoned()
    except Exception:  # noqa: BLE001 - a hint; `get` marks them when they are read
        log.exception("Could not mark abandoned import jobs")
    try:
        yield
    finally:
        tasks = list(_tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


