"""Assessment (考核): metrics in SQL over records and history per subject and period,
scores with deductions, vetoes, grades and ranks, and the sheets kept when a period
closes."""

from .metrics import CannotAssess, check_runnable, counted_rows
from .periods import KINDS, Period, PeriodError, parse_period, period_of
from .sheet import Line, Sheet, compute
from .subjects import parse_spec, spec_key

__all__ = ["KINDS", "CannotAssess", "Line", "Period", "PeriodError", "Sheet",
           "check_runnable", "compute", "counted_rows", "parse_period", "parse_spec",
           "period_of", "spec_key"]
