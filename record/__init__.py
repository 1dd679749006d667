"""A pupil's own record as the family sees it: homework with its state, the lessons ahead, grades and
attendance — read through `models` only, for many pupils at once, and the lines that show them.

The pupil's and the parent's views (`handlers.own_record`), the catch-up on joining
(`handlers.catch_up`) and the weekly digest (`scheduler.digest`) all read it here, so a homework
"under review" or a lesson "moved" means the same in each.
"""
