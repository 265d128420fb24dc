"""The quarterly team review: a quarter against the one before, as data, a page, HTML and PDF.

  quarters.py    'YYYY-Qn', first and last days, the review's settings
  changes.py     a measure in two quarters (`Change`): the beyond-chance test, intervals, words
  model.py       `build_review()`: every figure from queries/ into a `Review`; its CSV frames
  highlights.py  the few guarded sentences at the top
  sections.py    the tables and texts, and `outline()`: the sections every form renders
  html.py        review.html.j2 + review.css (Jinja2, autoescaped)
  pdf.py         fpdf2; the PDF helpers the debrief sheet shares
  theme.py       the colours

The CLI (`ridealong report`) and the Quarterly review page use this package; it never imports
Streamlit (only the page does). The names below are its public face.
"""

from dashboard.quarterly.changes import (
    ADJ_LIFT,
    CALLS,
    DEBRIEF,
    HEADLINE,
    INTERVENTION,
    PEOPLE,
    RATIO,
    Change,
    Group,
    Measure,
)
from dashboard.quarterly.highlights import highlights, highlights_rule, sentence
from dashboard.quarterly.html import render_html
from dashboard.quarterly.model import (
    Review,
    available_quarters,
    build_review,
    comparison_frame,
    keeps_going_wrong,
    resolve,
    what_worked,
)
from dashboard.quarterly.pdf import render_pdf
from dashboard.quarterly.quarters import (
    MAX_CHANGE_HIGHLIGHTS,
    MAX_COVERAGE_NAMES,
    SAMPLE_SOURCE,
    Quarter,
    ReviewError,
    team_label,
)
from dashboard.quarterly.sections import (
    CHANGE_LEGEND,
    HEADLINE_CAVEAT,
    NO_HIGHLIGHTS,
    PEOPLE_LEGEND,
    REPS_INTRO,
    REPS_OFF,
    Cell,
    Section,
    Table,
    TableBlock,
    header_lines,
    outline,
    people_table,
    review_charts,
)
from dashboard.quarterly.theme import BAD, GOOD, MUTED

__all__ = [
    "ADJ_LIFT",
    "BAD",
    "CALLS",
    "CHANGE_LEGEND",
    "DEBRIEF",
    "GOOD",
    "HEADLINE",
    "HEADLINE_CAVEAT",
    "INTERVENTION",
    "MAX_CHANGE_HIGHLIGHTS",
    "MAX_COVERAGE_NAMES",
    "MUTED",
    "NO_HIGHLIGHTS",
    "PEOPLE",
    "PEOPLE_LEGEND",
    "RATIO",
    "REPS_INTRO",
    "REPS_OFF",
    "SAMPLE_SOURCE",
    "Cell",
    "Change",
    "Group",
    "Measure",
    "Quarter",
    "Review",
    "ReviewError",
    "Section",
    "Table",
    "TableBlock",
    "available_quarters",
    "build_review",
    "comparison_frame",
    "header_lines",
    "highlights",
    "highlights_rule",
    "keeps_going_wrong",
    "outline",
    "people_table",
    "render_html",
    "render_pdf",
    "resolve",
    "review_charts",
    "sentence",
    "team_label",
    "what_worked",
]
