"""The shift hand-off report (issue 12 §5): what happened on a shift, on the schedule page, by
email when the shift ends, and in the API. `handoff_report` is also what bench/ times."""
from .report import HandoffPeriodError, ShiftReport, handoff_report

__all__ = ["HandoffPeriodError", "ShiftReport", "handoff_report"]
