"""What a workflow call answers when it cannot act: each maps to one HTTP status."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of the engine's refusals."""


class NotFound(WorkflowError):
    """No such record (404)."""


class Forbidden(WorkflowError):
    """This user may not do this to this record now (403)."""


class Conflict(WorkflowError):
    """Someone else changed the record first: the given version is stale (409)."""


class Invalid(WorkflowError):
    """Missing or bad fields (422); ``errors`` holds messages by field name."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {', '.join(texts)}"
                                   for name, texts in errors.items()))
        self.errors = errors


class PluginFailed(WorkflowError):
    """A plugin raised while acting on a record (500): nothing was changed, and the
    traceback is in the log under ``gridwork.plugins``."""

    def __init__(self, plugin: str, what: str, error: Exception) -> None:
        reason = str(error) or type(error).__name__
        super().__init__(f"plugin '{plugin}' failed in {what}: {reason}; "
                         "nothing was changed — tell your administrator")
        self.plugin = plugin
