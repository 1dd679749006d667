"""A pupil's own record as the family sees it: homework with its state, the lessons ahead, grades and
attendance — read through `models` only, for many pupils at once, and the lines that show them (a
grade named by its work as `assessment.texts` names it in the quarter line).

The pupil's and the parent's views (`handlers.own_record`), the catch-up on joining
(`handlers.catch_up`), the weekly digest (`scheduler.digest`) and the Kazpost paper packs
(`scheduler.postal_packs`) all read it here, so a homework "under review", a lesson "moved" or a
grade means the same in each.
"""
