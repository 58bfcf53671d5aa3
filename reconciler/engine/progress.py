"""Progress of an apply, as text: one numbered line per operation for logs (CI), or, on a
terminal, one bar redrawn in place with the counts and an estimate of the time left, and
a line of its own for every operation that did not succeed (so none scrolls by unseen
among thousands). Pure formatting: the CLI writes what it returns."""

from __future__ import annotations

import time
from typing import Any, Callable

from reconciler.engine.applier import Status
from reconciler.engine.durations import duration
from reconciler.engine.order import Step
from reconciler.engine.plan import Action

COLOURS = {Status.DONE: "green", Status.FAILED: "red", Status.CONFLICT: "red", Status.SKIPPED: "yellow"}


def result_line(result: Any, renamed: dict[str, str] | None = None) -> str:
    """`[ 3/22]     done  create groups/CSKH: reason`: one operation, for a log. A rename
    (`renamed`: address -> old name) is logged as one (`rename groups/Bán hàng: renamed
    from 'Kinh doanh'`), not as the update the API makes of it."""
    step, message = result.step, result.message
    if step == Step.UPDATE and result.address in (renamed or {}):
        step, message = Action.RENAME, message or f"renamed from '{renamed[result.address]}'"  # type: ignore[index]
    # Positions padded to the total's width, so the columns line up past [9/10].
    line = f"[{result.position:>{len(str(result.total))}}/{result.total}] {result.status:>8}  {step} " \
           f"{result.address}"
    if message:
        line += f": {message}"
    return line


class Progress:
    """Turns each operation's result into text to write. `terminal`: a bar redrawn at most
    every `interval` seconds (and at the last operation) instead of a line each."""

    def __init__(self, *, terminal: bool, style: Callable[..., str] = lambda text, **_: text,
                 width: int = 30, interval: float = 0.1, clock: Callable[[], float] = time.monotonic,
                 renamed: dict[str, str] | None = None):
        self.terminal = terminal
        self.renamed = renamed or {}
        self.style = style
        self.width = width
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last_drawn: float | None = None
        self.counts = {status: 0 for status in COLOURS}
        self.drawn = False  # a bar is on the screen's last line

    def feed(self, result: Any) -> str:
        """The text to write for `result` ('' when nothing is due)."""
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        line = self.style(result_line(result, self.renamed), fg=COLOURS.get(result.status))
        if not self.terminal:
            return line + "\n"
        out = ""
        if result.status != Status.DONE:
            out += self._clear() + line + "\n"
        now = self.clock()
        last = result.position >= result.total
        if out or last or self.last_drawn is None or now - self.last_drawn >= self.interval:
            self.last_drawn = now
            out += "\r" + self.bar(result.position, result.total, now, written=result.written) \
                + ("\n" if last else "")
            self.drawn = not last
        return out

    def finish(self) -> str:
        """What to write once no result is left (ends a bar left on the screen)."""
        if self.drawn:
            self.drawn = False
            return "\n"
        return ""

    def bar(self, position: int, total: int, now: float, written: int = 0) -> str:
        """`[########------] 3,412/10,873 31%  3,400 done, 2 failed, 10 skipped  about 1 min 12 s left`.
        The time left is estimated from the operations `written` (their requests answered:
        a create whose look-up waits to share a later read is not finished, but its share
        of the time is spent), else from `position`."""
        share = position / total if total else 1.0
        paced = min(total, max(position, written))
        filled = int(self.width * share)
        counts = ", ".join(f"{n:,} {status}" for status, n in self.counts.items() if n)
        elapsed = now - self.started
        if position >= total:
            when = f"took {duration(elapsed)}"
        elif paced >= 5 and elapsed >= 1.0:
            when = f"about {duration(elapsed / paced * (total - paced))} left"
        else:
            when = "estimating the time left"
        text = (f"[{'#' * filled}{'-' * (self.width - filled)}] {position:,}/{total:,} {share:4.0%}  "
                f"{counts}  {when}")
        return text + "\x1b[K"  # clear what a longer previous bar left on the line

    def _clear(self) -> str:
        if not self.drawn:
            return ""
        self.drawn = False
        return "\r\x1b[K"
