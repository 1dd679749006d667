"""Threads between a family and the staff member responsible: what a pupil or parent writes in their
own words reaches the right person through the outbox, and the answer comes back the same way.

`people` (who answers, and how each side is named to the other), `store` (threads and messages),
`deliver` (the outbox rows to the other side), `write` (a family's message and the question whom it
is for), `answer` (a reply to a thread's message, or "#12 …", from either side), `listing` (a staff
member's open threads).
"""
