"""Kazakhstan's assessment scheme over the store, as pure reads: marks, knowledge growth, quarter
marks.

Modules, one job each: `marks` (a percentage → the 5-point mark by the national bands), `works`
(every graded work with its kind and label, for a pupil's chart), `growth` (final − entry
diagnostic: the one definition and reading, which the dashboard's sums in `monitoring.growth` use
too), `quarter` (the quarter mark from the programme's weights, summed in one grouped query),
`quarters` (which quarter of the pupil's school calendar a mark is of) and `texts` (what a parent or
the e-journal reads: a work's label, the quarter line; the e-journal's rows themselves are the
dashboard's report, `monitoring.reports`).
Every function takes the pupils to count and an optional period — moments `since` (inclusive) and
`until` (exclusive), compared with a work's deadline — so the dashboard's periods (quarter,
half-year, year, dates) and scopes (a tutor's groups, a school, a district) are the caller's choice.
Nothing here writes.
"""
