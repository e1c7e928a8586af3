"""Call-back lists for warning teams (预警劝阻): who to call now, most urgent first, and why.

from fraudkit.warn import warning_list, write_warning_list
wl = warning_list(con, load_model(settings, "victim"), as_of=now, top=100)
write_warning_list(wl, "calls.xlsx")                 # masked
write_warning_list(wl, "calls.xlsx", reveal=True, con=con)   # unmasked, recorded in audit_log
"""

from fraudkit.warn.export import write_warning_list
from fraudkit.warn.listing import LIST_COLUMNS, Tiers, WarningList, warning_list
from fraudkit.warn.reasons import reason_columns, render_reason, top_reasons

__all__ = [
    "LIST_COLUMNS",
    "Tiers",
    "WarningList",
    "reason_columns",
    "render_reason",
    "top_reasons",
    "warning_list",
    "write_warning_list",
]
