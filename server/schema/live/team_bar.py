"""`teamBar(teamId, after)`: a team's bar (SPEC §6) live — every message the whole bar.

It listens on each member's assignee channel (work-item events that change their counts or what
they work on now) and presence channel. Each event recomputes the bar once per cohort (one domain
read) and pushes it only when it differs from the last one computed. A bar read may already show
changes committed after the event being processed; the cohort remembers up to which cursor it
may have read ahead (`horizon`) and pushes for every event up to there, so a subscriber whose
snapshot was taken in between is never left with a bar older than the cohort's. With a valid
`after` the subscriber gets the current bar again (a stream of states).

Who: the team's members, its leaders and admins (others NOT_FOUND on `teamId`); portal contacts
and API keys FORBIDDEN. A change of the team's members or leaders (TeamMembershipChanged) pushes
the bar again with them; the counts and presence it listens to are those of the people of when the
subscription started (a subscriber sees later members' changes with the next push).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Optional

import strawberry

from server.domain import event_log, team_bar, visibility
from server.domain.events import Envelope, assignee_channel, presence_channel, team_members_channel
from server.domain.viewer import Viewer
from server.schema.live import cursor_of
from server.schema.team_bar import TeamBar
from server.subscriptions.cohorts import Opened


@strawberry.type(description="A team's whole bar, at a cursor: the first message, then each change.")
class TeamBarUpdate:
    cursor: Optional[str]
    bar: TeamBar


@dataclass
class _Last:
    """What one cohort (or one replaying subscriber) computed last."""

    team_id: int
    fingerprint: tuple | None = None
    horizon: int = 0  # the newest cursor committed when it was computed


def fingerprint(state: team_bar.TeamBarState) -> tuple:
    """What a subscriber is shown of a bar (a work item compares by id only; its version counts)."""
    members = tuple(
        (m.user_id, m.name, m.email, m.role, m.leads, m.counts, m.presence,
         None if m.current_item is None else (m.current_item.id, m.current_item.version, m.current_item.updated_at))
        for m in state.members
    )
    return (state.team_id, state.team_name, members)


class TeamBarSource:
    name = "teamBar"
    states = True

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        state = await team_bar.team_bar(viewer, args["team_id"])  # FORBIDDEN / NOT_FOUND as the query
        people = sorted(team_bar.member_ids(state))
        channels = frozenset([
            team_members_channel(state.team_id), *(assignee_channel(u) for u in people), *(presence_channel(u) for u in people)
        ])
        return Opened(channels=channels, key=(state.team_id, tuple(people)), state=_Last(state.team_id))

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable:
        return await visibility.scope_key(viewer)  # the current items shown depend on it

    async def _read(self, viewer: Viewer, last: _Last) -> tuple[team_bar.TeamBarState, bool, int]:
        """The bar now, whether it differs from the last one computed, and the newest cursor then."""
        state = await team_bar.team_bar(viewer, last.team_id)
        horizon = await event_log.last_cursor()
        seen = fingerprint(state)
        changed = seen != last.fingerprint
        last.fingerprint = seen
        return state, changed, horizon

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> TeamBarUpdate:
        last: _Last = opened.state
        state, _, horizon = await self._read(viewer, last)
        last.horizon = max(last.horizon, horizon)
        return TeamBarUpdate(cursor=cursor_of(cursor), bar=TeamBar.from_state(state))

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> TeamBarUpdate | None:
        last: _Last = opened.state
        read_ahead = envelope.cursor <= last.horizon
        state, changed, horizon = await self._read(viewer, last)
        last.horizon = max(last.horizon, horizon)
        if not (changed or read_ahead):
            return None
        return TeamBarUpdate(cursor=cursor_of(envelope.cursor), bar=TeamBar.from_state(state))


source = TeamBarSource()
