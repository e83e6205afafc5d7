"""The small exception hierarchy every layer of pressroom speaks."""

from __future__ import annotations

from pressroom.model import PostProblem


class PressroomError(Exception):
    """Base of every error pressroom raises on purpose."""


class PermanentError(PressroomError):
    """Retrying cannot help: bad input, missing resource, access denied."""


class TransientError(PressroomError):
    """Retrying may help: throttling, timeouts, 5xx, lost races."""


class SourceMissing(PermanentError):
    """The object (version) named by an event no longer exists."""


class StaleState(TransientError):
    """The post item changed between read and commit; read again and retry."""


class InvalidPost(PermanentError):
    """A source file that cannot be published; carries every problem found."""

    def __init__(self, source_key: str, problems: list[PostProblem]) -> None:
        self.source_key = source_key
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        lines = "; ".join(str(problem) for problem in self.problems)
        return f"{self.source_key}: {lines}"
