"""Exceptions the playbook raises, each carrying every problem found, not just the first."""

from __future__ import annotations


class PlaybookError(Exception):
    """Base class: anything the playbook reports to a person as a clear problem."""


class ContentError(PlaybookError):
    """A content file is missing, malformed, or breaks the contract.

    ``problems`` holds one line per problem, each naming file → entry → field.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the playbook content:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class OrdersError(PlaybookError):
    """An orders file cannot be used as it is.

    ``issues`` holds every :class:`playbook.orders.OrderIssue` found (rows and columns named).
    """

    def __init__(self, source: str, issues: list, *, limit: int = 25):
        self.source = source
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"… and {len(self.issues) - limit} more")
        head = f"{source}: {len(self.issues)} problem(s) stop this file from being read:"
        super().__init__("\n".join([head, *(f"  - {line}" for line in lines)]))
