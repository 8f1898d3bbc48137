"""Above the workflow: the loop that fires due timers (reminders, escalation, moving up),
claims them so that one worker fires each once, and delivers what they queued."""
