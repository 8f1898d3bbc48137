"""Time on the business calendar: working days and hours, deadlines, reminders, escalation."""
