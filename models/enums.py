"""Vocabularies stored as plain strings (portable across SQLite and PostgreSQL, no enum types to migrate)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PUPIL = "pupil"
    GUARDIAN = "guardian"
    TUTOR = "tutor"
    ASSISTANT = "assistant"
    CLASS_TEACHER = "class_teacher"
    COORDINATOR = "coordinator"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    POST = "post"


class Locale(StrEnum):
    KK = "kk"
    RU = "ru"
    EN = "en"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"
    GRADED = "graded"
    RETURNED = "returned"
    REPLACED = "replaced"


class HomeworkKind(StrEnum):
    FORMATIVE = "formative"
    SUMMATIVE = "summative"
    DIAGNOSTIC = "diagnostic"  # the entry or final test of a pupil's knowledge, for growth


class WorkLabel(StrEnum):
    """What a summative or diagnostic work is: a section's (БЖБ / СОр) or the term's (ТЖБ / СОч)
    summative assessment; the entry or the final diagnostic."""

    SECTION = "section"
    TERM = "term"
    ENTRY = "entry"
    FINAL = "final"


class Audience(StrEnum):
    GROUP_CHAT = "group_chat"
    GUARDIANS = "guardians"
    PUPILS = "pupils"
    TUTORING_GROUP = "tutoring_group"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NO_CHANNEL = "no_channel"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    CUT = "cut"  # delivered shortened, to fit the channel (an SMS over its segment cap)
    RETRY = "retry"
    THROTTLED = "throttled"  # a 429: waited out, never counted as a failed try
    INTERRUPTED = "interrupted"  # the dispatcher stopped or died before the outcome was stored
    BLOCKED = "blocked"
    FAILED = "failed"


class PostalItemStatus(StrEnum):
    PENDING = "pending"
    RECEIVED = "received"
    MISSING = "missing"


class Topic(StrEnum):
    """Why a thread's staff member answers it."""

    TUTOR = "tutor"  # the group's subject
    SUBSTITUTE = "substitute"  # the group's subject, while a substitute tutor has the group
    CLASS_TEACHER = "class_teacher"  # anything else about the pupil
    ASSISTANT = "assistant"  # joining a lesson, technical trouble
    COORDINATOR = "coordinator"  # the one above left their role


class Problem(StrEnum):
    """What a pupil or parent reports (Online Mektep's list): the reason of an absence."""

    NO_INTERNET = "no_internet"
    DEVICE = "device"
    ILL = "ill"
    OTHER = "other"


class FamilyNews(StrEnum):
    """What a parent hears about their children's work: every event as it happens and the weekly
    digest (the default), the digest instead of the events it sums up, or the events without it.
    Absences and lesson changes come at once whatever the choice."""

    BOTH = "both"
    DIGEST = "digest"
    EVENTS = "events"
