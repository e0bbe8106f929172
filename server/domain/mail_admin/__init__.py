"""Mail administration (SPEC §5, issue 11 item 3), admins only — anyone else gets FORBIDDEN and
nothing changes:

- connectors: SMTP connectors, their write-only sealed passwords, re-queueing parked mail when
  one is enabled again, and trying one out (connect, or send a test message);
- mailboxes: inbound mailboxes per department, their IMAP settings and collection status, and
  what the collector manager reads (`mailboxes_to_collect`, `collection_settings`);
- routing: alias addresses and routes (address → department, queue, what a message creates);
- blocking: blocked addresses and domains;
- settings: plus addressing, the retry pattern and the number of retries.

An address belongs to one mailbox, alias or route at most (common.require_free). Field changes
arrive as dicts of the fields the caller set, in domain names, as in server.domain.departments.
"""

from server.domain.mail_admin.blocking import block_address, blocked_addresses, blocked_form, unblock_address
from server.domain.mail_admin.common import Page, address_owner, require_admin
from server.domain.mail_admin.connectors import (
    ConnectorChange,
    TrialOutcome,
    connectors,
    create_connector,
    delete_connector,
    try_connector,
    update_connector,
)
from server.domain.mail_admin.mailboxes import (
    CollectionSettings,
    collection_settings,
    create_mailbox,
    delete_mailbox,
    mailboxes,
    mailboxes_to_collect,
    update_mailbox,
)
from server.domain.mail_admin.routing import aliases, create_alias, create_route, delete_alias, delete_route, routes, update_route
from server.domain.mail_admin.settings import settings, update_settings

__all__ = [
    "CollectionSettings", "ConnectorChange", "Page", "TrialOutcome", "address_owner", "aliases", "block_address",
    "blocked_addresses", "blocked_form", "collection_settings", "connectors", "create_alias", "create_connector",
    "create_mailbox", "create_route", "delete_alias", "delete_connector", "delete_mailbox", "delete_route",
    "mailboxes", "mailboxes_to_collect", "require_admin", "routes", "settings", "try_connector", "unblock_address",
    "update_connector", "update_mailbox", "update_route", "update_settings",
]
