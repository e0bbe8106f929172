"""The domain's vocabulary: every enumerated value stored in the database.

Values are stored as their names (CharEnumField) so the database reads like the spec.
"""

from enum import Enum, IntEnum


class Role(str, Enum):
    AGENT = "AGENT"
    TEAM_LEADER = "TEAM_LEADER"
    ADMIN = "ADMIN"
    ROBOT = "ROBOT"


class WorkItemType(str, Enum):
    TICKET = "TICKET"
    CASE = "CASE"
    ACTION = "ACTION"

    @property
    def prefix(self) -> str:
        return self.value[0]


class Status(str, Enum):
    DRAFT = "DRAFT"
    TO_DO = "TO_DO"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING = "WAITING"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class WaitType(str, Enum):
    MORE_INFO = "MORE_INFO"
    FOLLOW_UP = "FOLLOW_UP"
    PAUSE = "PAUSE"
    SPLIT = "SPLIT"
    CASE_STARTED = "CASE_STARTED"
    SUB_CASES = "SUB_CASES"


class ResolutionMethod(str, Enum):
    # tickets
    WITH_CUSTOMER_RESPONSE = "WITH_CUSTOMER_RESPONSE"
    NO_CUSTOMER_RESPONSE = "NO_CUSTOMER_RESPONSE"
    REJECTED = "REJECTED"
    REJECTED_SPAM = "REJECTED_SPAM"
    REJECTED_UNKNOWN_ADDRESS = "REJECTED_UNKNOWN_ADDRESS"
    MERGED = "MERGED"
    # actions and cases
    COMPLETE = "COMPLETE"
    UNABLE_TO_COMPLETE = "UNABLE_TO_COMPLETE"
    ABANDONED = "ABANDONED"


class ActionKind(str, Enum):
    MANUAL = "MANUAL"  # a person or robot does it and resolves it
    APPROVAL = "APPROVAL"  # a person approves (COMPLETE) or declines (UNABLE_TO_COMPLETE, with the reason)
    PEER_REVIEW = "PEER_REVIEW"  # done by one user, then reviewed by another
    WAIT_FOR_SUB_CASES = "WAIT_FOR_SUB_CASES"  # holds the case until its running sub-cases are done
    START_CASE = "START_CASE"  # starts a sub-case of a configured case type, then closes
    SEND_EMAIL = "SEND_EMAIL"  # sends its templated email from the case, then closes
    SEND_EMAIL_AND_WAIT = "SEND_EMAIL_AND_WAIT"  # sends it, waits for the reply on its thread, then closes


class ReviewStage(str, Enum):
    DOING = "DOING"
    REVIEWING = "REVIEWING"


class ReviewOutcome(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    UNABLE = "UNABLE"


class Priority(IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


class TimelineKind(str, Enum):
    # communications
    INITIAL_DESCRIPTION = "INITIAL_DESCRIPTION"
    NOTE = "NOTE"
    EMAIL_IN = "EMAIL_IN"
    EMAIL_OUT = "EMAIL_OUT"
    EMAIL_SCHEDULED = "EMAIL_SCHEDULED"
    EMAIL_CANCELLED = "EMAIL_CANCELLED"
    EMAIL_FAILED = "EMAIL_FAILED"
    PHONE_CALL = "PHONE_CALL"
    LETTER = "LETTER"
    PORTAL_MESSAGE = "PORTAL_MESSAGE"
    # activity
    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    STATUS_CHANGED = "STATUS_CHANGED"
    ASSIGNED = "ASSIGNED"
    QUEUE_CHANGED = "QUEUE_CHANGED"
    DEPARTMENT_CHANGED = "DEPARTMENT_CHANGED"
    DUE_MISSED = "DUE_MISSED"
    PEER_REVIEW = "PEER_REVIEW"
    CASE_PROBLEM = "CASE_PROBLEM"
    LINKED = "LINKED"
    UNLINKED = "UNLINKED"
    MERGED = "MERGED"
    SPLIT = "SPLIT"
    CASE_STARTED = "CASE_STARTED"
    ACTION_STARTED = "ACTION_STARTED"
    CASE_REWORKED = "CASE_REWORKED"
    FIELDS_CHANGED = "FIELDS_CHANGED"
    EMAIL_SHARED = "EMAIL_SHARED"
    FEEDBACK = "FEEDBACK"


class EmailDirection(str, Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class EmailStatus(str, Enum):
    # outbound life
    DRAFT = "DRAFT"
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    RETRY_PENDING = "RETRY_PENDING"
    FAILED = "FAILED"
    CONNECTOR_DISABLED = "CONNECTOR_DISABLED"
    CANCELLED = "CANCELLED"
    SENT = "SENT"
    # inbound life
    RECEIVED = "RECEIVED"
    UNHANDLED = "UNHANDLED"
    BLOCKED = "BLOCKED"


class Importance(str, Enum):
    HIGH = "HIGH"
    NORMAL = "NORMAL"
    LOW = "LOW"


class SmtpSecurity(str, Enum):
    # how a mail server connection is protected (SMTP connectors and IMAP mailboxes alike)
    NONE = "NONE"
    STARTTLS = "STARTTLS"
    TLS = "TLS"


class RecipientKind(str, Enum):
    TO = "TO"
    CC = "CC"
    BCC = "BCC"


class RecipientStatus(str, Enum):
    PENDING = "PENDING"  # not yet accepted by the SMTP server (never tried, or refused for now)
    ACCEPTED = "ACCEPTED"  # the server took the message for this recipient: never sent to again
    REJECTED = "REJECTED"  # refused for good (5xx)


class OutboxView(str, Enum):
    MINE = "MINE"
    MY_TEAM = "MY_TEAM"
    SYSTEM = "SYSTEM"
    ALL = "ALL"


class NotificationKind(str, Enum):
    ASSIGNED = "ASSIGNED"
    NEW_INFORMATION = "NEW_INFORMATION"
    BACK_FROM_WAITING = "BACK_FROM_WAITING"
    DUE_NEAR = "DUE_NEAR"
    DUE_MISSED = "DUE_MISSED"
    PEER_REVIEW_REQUESTED = "PEER_REVIEW_REQUESTED"
    PEER_REVIEW_FAILED = "PEER_REVIEW_FAILED"
    CASE_NEEDS_ATTENTION = "CASE_NEEDS_ATTENTION"
    MENTION = "MENTION"
    FOLLOWED_ITEM_CHANGED = "FOLLOWED_ITEM_CHANGED"


class ImportStatus(str, Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
