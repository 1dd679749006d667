"""The store: SQLModel tables, the engine and sessions, and the invariants the store enforces."""

from models.calendar import CalendarEntry
from models.dashboard import DashboardAttempt, DashboardChallenge, DashboardSession
from models.district import DistrictCoordinator
from models.homework import Feedback, Homework, Submission, SubmissionPage
from models.journal import AuditLog, Conversation, InboundReceipt
from models.outbox import Broadcast, DeliveryAttempt, Notification, SendBudget
from models.people import ChannelIdentity, Consent, Guardianship, Invite, Membership, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.roster_memory import RosterMemory, RosterStoreVersion
from models.school import GroupMember, Programme, School, SchoolClass, TutoringGroup
from models.substitutes import Substitution
from models.tally import AttendanceTally
from models.templates import BroadcastTemplate
from models.threads import Thread, ThreadMessage, ThreadNotice
from models.timetable import Attendance, Lesson, LessonChange

__all__ = [
    "Attendance",
    "AttendanceTally",
    "AuditLog",
    "Broadcast",
    "BroadcastTemplate",
    "CalendarEntry",
    "ChannelIdentity",
    "Consent",
    "Conversation",
    "DashboardAttempt",
    "DashboardChallenge",
    "DashboardSession",
    "DeliveryAttempt",
    "DistrictCoordinator",
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
    "RosterMemory",
    "RosterStoreVersion",
    "School",
    "SchoolClass",
    "SendBudget",
    "Submission",
    "SubmissionPage",
    "Substitution",
    "Thread",
    "ThreadMessage",
    "ThreadNotice",
    "TutoringGroup",
]
