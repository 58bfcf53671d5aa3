"""The few error types the reconciler raises, each carrying where and why.

Messages are written for the user: they never contain an API key, a token or a SIP
password, and the CLI prints them without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


class ReconcilerError(Exception):
    """Base of every error that is the user's or the tenant's, not a bug of ours."""


@dataclass(frozen=True)
class Location:
    """Where a manifest value sits: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the manifests. `code` names the kind of mistake for programs
    (`validate --format json|github|gitlab`); `kind` and `name`: the object it is in, when
    there is one."""

    location: Location | None
    message: str
    code: str = "invalid-manifest"
    kind: str | None = None
    name: str | None = None
    # "warning": not what makes the manifests invalid, but listed with what does, so that
    # one run shows everything to fix (a policy.lint ignore entry naming nothing)
    severity: str = "error"

    def __str__(self) -> str:
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{self.location}: {message}" if self.location else message


def coded(problems: list[Problem], code: str, kind: str | None = None, name: str | None = None) -> list[Problem]:
    """`problems` with `code` (where none more precise was given) and the object they are in."""
    return [replace(p, code=code if p.code == Problem.code else p.code, kind=p.kind or kind, name=p.name or name)
            for p in problems]


class ManifestError(ReconcilerError):
    """The manifest set is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(p: Problem) -> tuple:
    loc = p.location
    return (loc.file, loc.line, loc.column, p.message) if loc else ("", 0, 0, p.message)


class ApiError(ReconcilerError):
    """The API refused or failed a request. Keeps the status and the server's message."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        endpoint: str = "",
        status: int | None = None,
        server_message: str | None = None,
        subject: str | None = None,
    ):
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.server_message = server_message
        self.subject = subject
        parts = [message]
        if subject:
            parts.insert(0, f"{subject}:")
        where = " ".join(x for x in (method, endpoint) if x)
        if where:
            parts.append(f"({where}" + (f", HTTP {status}" if status else "") + ")")
        if server_message and server_message not in message:
            parts.append(f"server said: {server_message}")
        super().__init__(" ".join(parts))


class AuthError(ApiError):
    """Credentials missing, invalid or expired beyond renewal."""


class PlanError(ReconcilerError):
    """The plan cannot be made or must not run: ambiguous names, dangling references,
    an unsafe number of deletes, a stale saved plan."""

    def __init__(self, problems: list[str], headline: str | None = None):
        self.problems = problems
        self.headline = headline  # what the problems amount to, said once above them
        super().__init__("\n".join(([headline] if headline else []) + problems))


class UnsafePlanError(PlanError):
    """The plan refuses to be applied (`Plan.raise_if_unsafe`): changes apply cannot make,
    or more deletes than the policy allows without --force. `problems`: each reason."""
