"""Root fields of the mail administration (issue 11 item 3). Admins only: anyone else gets
FORBIDDEN and nothing changes. Departments choose their connector with updateDepartment's
smtpConnectorId; alias lists can also be replaced whole with updateDepartment's aliases."""

from __future__ import annotations

import strawberry

from server.resolvers import mail_admin as resolvers
from server.schema.mail_admin import (
    BlockedAddress,
    BlockedAddressConnection,
    DepartmentAlias,
    DepartmentAliasConnection,
    Mailbox,
    MailboxConnection,
    MailRoute,
    MailRouteConnection,
    MailSettings,
    SmtpConnector,
    SmtpConnectorChange,
    SmtpConnectorConnection,
    SmtpConnectorTest,
)

_ADDRESS_RULE = " An address is one mailbox, alias or route at most: CONFLICT names what has it."


@strawberry.type
class MailAdminQuery:
    smtp_connectors: SmtpConnectorConnection = strawberry.field(
        resolver=resolvers.smtp_connectors, description="Admins: the SMTP connectors by name, 50 a page by default (at most 100)."
    )
    mailboxes: MailboxConnection = strawberry.field(
        resolver=resolvers.mailboxes,
        description="Admins: the inbound mailboxes by address (of one department when given), with their collection status.",
    )
    department_aliases: DepartmentAliasConnection = strawberry.field(
        resolver=resolvers.department_aliases, description="Admins: the alias addresses by address (of one department when given)."
    )
    mail_routes: MailRouteConnection = strawberry.field(
        resolver=resolvers.mail_routes, description="Admins: the routes by address (of one department when given)."
    )
    blocked_addresses: BlockedAddressConnection = strawberry.field(
        resolver=resolvers.blocked_addresses, description="Admins: blocked addresses and domains by address; `search`: those containing it."
    )
    mail_settings: MailSettings = strawberry.field(resolver=resolvers.mail_settings, description="Admins: the system-wide mail settings.")


@strawberry.type
class MailAdminMutation:
    create_smtp_connector: SmtpConnector = strawberry.mutation(resolver=resolvers.create_smtp_connector, description="Admins: a new SMTP connector.")
    update_smtp_connector: SmtpConnectorChange = strawberry.mutation(
        resolver=resolvers.update_smtp_connector,
        description="Admins: change a connector. Enabling a disabled one makes the mail it parked due at once (`requeued` says how many).",
    )
    delete_smtp_connector: strawberry.ID = strawberry.mutation(
        resolver=resolvers.delete_smtp_connector,
        description="Admins: delete a connector; CONFLICT while a department uses it or mail not yet sent (draft, queued, waiting, failed, parked) is on it.",
    )
    test_smtp_connector: SmtpConnectorTest = strawberry.mutation(
        resolver=resolvers.test_smtp_connector,
        description="Admins: connect, secure and sign in as the connector says; with `to`, also send that address one test message (system mail, Auto-Submitted). The server's answer is the result, never an error.",
    )
    create_mailbox: Mailbox = strawberry.mutation(resolver=resolvers.create_mailbox, description="Admins: a new inbound mailbox." + _ADDRESS_RULE)
    update_mailbox: Mailbox = strawberry.mutation(
        resolver=resolvers.update_mailbox,
        description="Admins: change a mailbox. A new IMAP host, port, username or folder resets its collection cursor: the next collection is a first one." + _ADDRESS_RULE,
    )
    delete_mailbox: strawberry.ID = strawberry.mutation(
        resolver=resolvers.delete_mailbox, description="Admins: delete a mailbox; the mail it brought stays."
    )
    create_department_alias: DepartmentAlias = strawberry.mutation(
        resolver=resolvers.create_department_alias, description="Admins: a new alias address of a department." + _ADDRESS_RULE
    )
    delete_department_alias: strawberry.ID = strawberry.mutation(resolver=resolvers.delete_department_alias, description="Admins: delete an alias address.")
    create_mail_route: MailRoute = strawberry.mutation(resolver=resolvers.create_mail_route, description="Admins: a new route." + _ADDRESS_RULE)
    update_mail_route: MailRoute = strawberry.mutation(resolver=resolvers.update_mail_route, description="Admins: change a route." + _ADDRESS_RULE)
    delete_mail_route: strawberry.ID = strawberry.mutation(resolver=resolvers.delete_mail_route, description="Admins: delete a route.")
    add_blocked_address: BlockedAddress = strawberry.mutation(
        resolver=resolvers.add_blocked_address, description="Admins: block an address or a whole domain (@domain); CONFLICT when already blocked."
    )
    remove_blocked_address: strawberry.ID = strawberry.mutation(resolver=resolvers.remove_blocked_address, description="Admins: unblock.")
    update_mail_settings: MailSettings = strawberry.mutation(resolver=resolvers.update_mail_settings, description="Admins: change the mail settings.")
