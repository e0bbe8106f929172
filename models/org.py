"""The organisation: companies, departments, groups, users, teams, queues, categories (SPEC §1)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import OutboxView, Role


class Company(Model):
    # A client the work is done for. Contacts without a company belong to World.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "company"


class ContactGroup(Model):
    # A group of external contacts; a department gives its default group to contacts it creates.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    # Portal: members see every ticket of their company, not only their own.
    sees_company_items = fields.BooleanField(default=False)

    class Meta:
        table = "contact_group"


class Department(Model):
    # A visibility boundary (seed 003) with its defaults for new work and outgoing mail.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    sla_hours = fields.IntField(default=24)
    language = fields.CharField(max_length=16, default="en")
    default_contact_group = fields.ForeignKeyField(
        "switchboard.ContactGroup", related_name="default_for_departments", null=True, on_delete=fields.SET_NULL
    )
    notify_staff_of_new_tickets = fields.BooleanField(default=False)
    assignees_only_from_staff = fields.BooleanField(default=False)
    client_view_in_public = fields.BooleanField(default=False)
    sender_name = fields.CharField(max_length=200, null=True)
    signature = fields.TextField(null=True)
    smtp_connector = fields.ForeignKeyField(
        "switchboard.SmtpConnector", related_name="departments", null=True, on_delete=fields.SET_NULL
    )
    # SLA clock: while WAITING the clock stops and the due date moves by the paused time.
    add_waiting_time_to_due = fields.BooleanField(default=True)
    # Feedback window after RESOLVED; None means resolved tickets and cases close at once.
    feedback_window_hours = fields.IntField(null=True)
    # Resolving a ticket needs a resolution email or an internal resolution note.
    resolution_note_required = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "department"


class DepartmentAlias(Model):
    # An alias address: mail sent to it lands in this department whatever mailbox stores it.

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=320, unique=True)
    department = fields.ForeignKeyField("switchboard.Department", related_name="aliases", on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="aliases", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "department_alias"


class UserGroup(Model):
    # Employees grouped for access: departments in bulk, public departments, a default department.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    default_department = fields.ForeignKeyField(
        "switchboard.Department", related_name="default_for_groups", null=True, on_delete=fields.SET_NULL
    )
    departments = fields.ManyToManyField(
        "switchboard.Department", related_name="groups", through="user_group_department"
    )
    public_departments = fields.ManyToManyField(
        "switchboard.Department", related_name="public_for_groups", through="user_group_public_department"
    )

    class Meta:
        table = "user_group"


class User(Model):
    # An employee (agent, team leader, admin) or a robot.

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=16, default=Role.AGENT)
    password_hash = fields.CharField(max_length=200, null=True)
    is_active = fields.BooleanField(default=True)
    language = fields.CharField(max_length=16, default="en")
    timezone = fields.CharField(max_length=64, default="UTC")
    undo_send_seconds = fields.IntField(default=0)
    outbox_view = fields.CharEnumField(OutboxView, max_length=8, null=True)  # the remembered view; None: by role
    groups = fields.ManyToManyField(
        "switchboard.UserGroup",
        related_name="members",
        through="user_group_member",
        backward_key="user_id",
        forward_key="user_group_id",
    )
    # Personal department access, on top of what the user's groups give.
    departments = fields.ManyToManyField(
        "switchboard.Department",
        related_name="staff",
        through="user_department",
        backward_key="user_id",
        forward_key="department_id",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Team(Model):
    # People working together; owns queues; led by one or more team leaders.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    members = fields.ManyToManyField("switchboard.User", related_name="teams", through="team_member")
    leaders = fields.ManyToManyField("switchboard.User", related_name="led_teams", through="team_leader")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"


class Queue(Model):
    # Where unassigned work waits; belongs to one team and one department.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    team = fields.ForeignKeyField("switchboard.Team", related_name="queues", on_delete=fields.RESTRICT)
    department = fields.ForeignKeyField("switchboard.Department", related_name="queues", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "queue"
        unique_together = (("team", "name"),)


class Category(Model):
    # What a work item is about; a ticket needs one to be submitted.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "category"
