"""Recurring duties: what `schedules:` asks of each entry in each period, generated set-based
by the sweep loop, fulfilled by the records workers create from them, and marked overdue
(with a history row and the escalation ladder's first notices) when their time passes."""
