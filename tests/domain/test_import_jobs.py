"""The import job framework (server/domain/imports/jobs.py) with an importer of its own (this
module's IMPORTER, a kind named "probe"): a refused row leaves nothing — neither its writes nor its
events — while the rows around it stay; failures are kept up to the cap and counted exactly;
progress is committed and logged once per chunk; a job whose importer loses access stops FAILED
with the rows before kept."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from models.contact import Tag
from models.enums import ImportStatus
from models.event import EventRecord
from models.org import User
from server.domain.errors import ValidationError
from server.domain.events import TeamMembershipChanged
from server.domain.imports import jobs
from server.domain.imports.jobs import IMPORTED, Run
from server.domain.imports.sheets import Column, Row, text
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer, user_viewer


class ProbeImporter:
    kind = "probe"
    title = "Probe"
    chunk = 4
    columns = (Column("name", "Name", required=True),)

    def authorize(self, viewer: Viewer) -> None:
        pass

    async def import_row(self, run: Run, row: Row) -> str:
        name = text(row.get("name"))
        async with unit_of_work() as uow:  # joins the chunk's
            await Tag.create(name=f"probe {name}")
            uow.emit(TeamMembershipChanged(team_id=row.number))
        if name.startswith("bad"):
            raise ValidationError.single("name", f"{name} is refused")
        if name == "stop":
            await User.filter(id=run.viewer.id).update(is_active=False)
        return IMPORTED


IMPORTER = ProbeImporter()


@pytest.fixture
async def jane(demo, monkeypatch) -> Viewer:
    monkeypatch.setitem(jobs.KINDS, "probe", __name__)
    return await user_viewer(await User.get(email="jane@example.com"))


def _sheet(names: list[str]) -> bytes:
    book = Workbook()
    book.active.append(["Name"])
    for name in names:
        book.active.append([name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_refused_row_leaves_nothing_and_failures_are_capped_but_counted(jane, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_STORED_FAILURES", 2)
    names = ["a", "bad1", "b", "c", "bad2", "d", "bad3", "e", "f", "g"]  # sheet rows 2..11
    job = await jobs.start(jane, "probe", _sheet(names))
    job = await jobs.finished(job.id)
    assert job.status is ImportStatus.DONE and job.error is None
    assert (job.total_rows, job.done_rows, job.imported, job.failed) == (10, 10, 7, 3)
    assert [(f.row, f.field) for f in await jobs.failures(job)] == [(3, "name"), (6, "name")]  # the third is counted, not kept
    assert sorted(await Tag.filter(name__startswith="probe ").values_list("name", flat=True)) == sorted(f"probe {n}" for n in names if not n.startswith("bad"))
    logged = await EventRecord.filter(type="team.membership_changed").values_list("payload", flat=True)
    assert sorted(p["team_id"] for p in logged) == [n + 2 for n, name in enumerate(names) if not name.startswith("bad")]
    progress = [p for p in await EventRecord.filter(type="import_job.progressed").order_by("id").values_list("payload", flat=True)]
    assert [(p["status"], p["done_rows"]) for p in progress] == [("RUNNING", 0), ("RUNNING", 4), ("RUNNING", 8), ("RUNNING", 10), ("DONE", 10)]


async def test_a_job_stops_when_its_importer_loses_access(jane):
    job = await jobs.start(jane, "probe", _sheet(["a", "stop", "b", "c", "d", "e"]))
    job = await jobs.finished(job.id)
    assert job.status is ImportStatus.FAILED and "access" in job.error
    assert (job.done_rows, job.imported) == (4, 4)  # the chunk that withdrew it committed; the next never ran
    assert not await Tag.exists(name="probe d")
