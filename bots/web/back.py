"""Where «← back» on a pupil's page leads: the list the reader opened the pupil from.

Each link to a pupil's page carries the page it is on as `back` (its path and query, and the
section to return to); the pupil's page offers it back only when it is one of the dashboard's own
lists (`LISTS`), rebuilt from its parts, so a crafted link cannot send the reader to another site
(`//elsewhere`, `https://…`, `/\\elsewhere`) or to a page that acts. Anything else leads to the
overview, as before.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

HOME = "/dashboard"
# The pages that list pupils: the overview with its tables (?table=…), and the delivery page.
LISTS = frozenset({HOME, "/dashboard/delivery"})
LONGEST = 1000
_SECTION = re.compile(r"[A-Za-z][\w-]{0,40}")


def safe_back(raw: str | None) -> str:
    """`raw` as a same-site link to one of `LISTS`, or the overview."""
    if not raw or len(raw) > LONGEST or any(ord(c) < 32 or c == "\\" for c in raw):
        return HOME
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.path not in LISTS:
        return HOME
    if parts.fragment and not _SECTION.fullmatch(parts.fragment):
        return HOME
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
