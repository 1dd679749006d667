"""The store: SQLModel tables, the engine and sessions, and the invariants the store enforces."""

from models.dashboard import DashboardAttempt, DashboardChallenge, DashboardSession
from models.homework import Feedback, Homework, Submission, SubmissionPage
from models.journal import AuditLog, Conversation, InboundReceipt
from models.outbox import Broadcast, DeliveryAttempt, Notification, SendBudget
from models.people import ChannelIdentity, Consent, Guardianship, Invite, Membership, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import GroupMember, Programme, School, SchoolClass, TutoringGroup
from models.threads import Thread, ThreadMessage, ThreadNotice
from models.timetable import Attendance, Lesson, LessonChange

__all__ = [
    "Attendance",
    "AuditLog",
    "Broadcast",
    "ChannelIdentity",
    "Consent",
    "Conversation",
    "DashboardAttempt",
    "DashboardChallenge",
    "DashboardSession",
    "DeliveryAttempt",
    "Feedback",
    "GroupMember",
    "Guardianship",
    "Homework",
    "InboundReceipt",
    "Invite",
    "Lesson",
    "LessonChange",
    "Membership",
    "Notification",
    "Person",
    "PostalItem",
    "PostalRound",
    "PostalSchedule",
    "Programme",
    "School",
    "SchoolClass",
    "SendBudget",
    "Submission",
    "SubmissionPage",
    "Thread",
    "ThreadMessage",
    "ThreadNotice",
    "TutoringGroup",
]
