"""Exceptions raised by lean_chain, each carrying what a planner needs to act."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in an instance: where it is and what was expected.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is line 1), or ``None`` for whole-file or parameter problems.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        got = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{got}; expected {self.expected}"


class LeanChainError(Exception):
    """Base class of lean_chain errors."""


class InstanceError(LeanChainError, ValueError):
    """The instance is malformed; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the instance:\n{lines}")


class PlanError(LeanChainError, ValueError):
    """A plan folder cannot be read against its instance; ``issues`` says why."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the plan:\n{lines}")


class OutputPathError(LeanChainError, ValueError):
    """A run folder cannot be written at the path given; nothing was written or deleted.

    Raised when the path is a file, a folder that is neither empty nor a
    previous run, a previous run without ``force``, or cannot be created.
    """


class InfeasibleError(LeanChainError):
    """The model has no feasible plan (or none was found within the limits).

    ``diagnosis`` is, when the model was proven infeasible and could be
    diagnosed, a JSON-ready dict from :func:`lean_chain.diagnosis.diagnose`:
    ``summary`` (a sentence) and ``findings`` (the rules that must give, and
    what could give instead, each naming its node, region, SKU or lane).
    """

    def __init__(self, message: str, diagnosis: dict | None = None):
        super().__init__(message)
        self.diagnosis = diagnosis


class SelfCheckError(LeanChainError):
    """The evaluation core disagrees with the solver on a plan's total cost."""


class SolverNotAvailableError(LeanChainError, ImportError):
    """The requested solver backend is not installed or not known."""
