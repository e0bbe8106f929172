"""This server process's identity among the processes serving one organisation: rows a process
writes for its live connections (who has a work item open) carry it, so the rows of a process
that died can be told apart and swept."""

from __future__ import annotations

import uuid

PROCESS_ID = uuid.uuid4().hex
