"""A POST's body as a form, or None when it does not parse as one.

aiohttp's `request.post()` raises on a broken body (a multipart form without its boundary, cut
short, with a part's headers garbled, or in an unknown charset) with ValueError, its HTTP parser's
BadHttpMessage, or LookupError, which would end as a 500 and a stack trace at ERROR. Such a body is
bad input, not a fault: the caller answers 400 and logs one line. The parsed form is cached on the
request, so a second read (a middleware, then the handler) parses nothing again.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import MultiDictProxy

log = logging.getLogger(__name__)

Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


async def posted_form(request: web.Request) -> Form | None:
    try:
        return await request.post()
    except (ValueError, LookupError, BadHttpMessage) as error:
        log.info("refused a body to %s that is not a form (%s)", request.path, type(error).__name__)
        return None
