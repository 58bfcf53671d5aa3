"""What a command says and asks through the CLI, the only module that prints or exits."""

from __future__ import annotations

from typing import Callable, Protocol


class Console(Protocol):
    """The CLI's side of a command: where its text goes and how a question is asked."""

    style: Callable[..., str]  # colour for the report's stream (plain text off a terminal)
    terminal: bool  # whether the report's stream is a terminal (progress draws a bar there)

    def out(self, text: str) -> None:
        """The report's text (stdout; stderr when stdout holds a JSON document), as given."""

    def err(self, text: str) -> None:
        """A line for stderr."""

    def ask(self, question: str) -> bool | None:
        """The user's answer to a yes/no question (no by default); None when nobody can
        answer (no terminal)."""
