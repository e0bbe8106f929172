"""Contacts (SPEC §1, §7): look-up by viewer, and the changes employees make to them.

Visibility: employees (every role) and API keys see every contact — contacts are scoped by company
(World or one company), not by department, so department access does not narrow the look-up. A
portal contact sees only itself. Test-mode contacts appear only when asked for with testMode, and
are never on a work item outside test mode (server/domain/work_item_fields.py) nor matched by
inbound mail. A contact's activity (its work items) is scoped by the visibility layer
(activity.py); several contacts change at once through bulk.py.
"""

from server.domain.contacts.bulk import add_tags, remove_tags, update_many
from server.domain.contacts.changes import create, delete_many, update
from server.domain.contacts.lookup import Page, get, page
from server.domain.contacts.scope import company_move_problems

__all__ = ["create", "update", "delete_many", "update_many", "add_tags", "remove_tags", "get", "page", "Page",
           "company_move_problems"]
