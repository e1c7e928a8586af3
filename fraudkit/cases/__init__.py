"""Investigators' cases over tracked rings: open one per ring, record the verdict, keep notes.

A case's verdict is what training and evaluation read back as labels: the members of a confirmed
ring are mules, those of a false-positive ring are not (:func:`case_labels`).
"""

from fraudkit.cases.cases import (
    Case,
    CaseError,
    CaseEvent,
    add_note,
    case_labels,
    get_case,
    list_cases,
    mark_case,
    open_case,
)

__all__ = [
    "Case",
    "CaseError",
    "CaseEvent",
    "add_note",
    "case_labels",
    "get_case",
    "list_cases",
    "mark_case",
    "open_case",
]
