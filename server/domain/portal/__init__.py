"""The self-service portal (SPEC §7, §2.2 rule 7): a requester submits tickets, follows their
status and public communications, replies, and gives feedback once a ticket is resolved.

- `tickets`: submitting, replying, feedback (the writes, each in one unit of work);
- `views`: what the portal shows a requester (their tickets and public timeline only);
- `settings`: where portal tickets go (portal routes) and what a contact group sees (admins).

Which tickets a contact follows is decided in server/domain/visibility.py (`portal_scope`,
`get_portal_ticket`, `portal_event`); contacts read nothing through the employees' API.
"""

from server.domain.portal.settings import portal_queue, set_portal_route, update_contact_group, create_contact_group
from server.domain.portal.tickets import (
    MAX_FILES,
    MAX_FILE_BYTES,
    NewFile,
    give_feedback,
    reply,
    submit,
)
from server.domain.portal.views import PublicEntry, attachment, public_timeline, tickets

__all__ = [
    "MAX_FILES", "MAX_FILE_BYTES", "NewFile", "PublicEntry", "attachment", "create_contact_group", "give_feedback",
    "portal_queue", "public_timeline", "reply", "set_portal_route", "submit", "tickets", "update_contact_group",
]
