"""Apply's progress: one numbered line per operation in logs; on a terminal a bar with
counts and the time left, and a line for every operation that did not succeed."""

from __future__ import annotations

from reconciler.engine.applier import OpResult
from reconciler.engine.durations import duration
from reconciler.engine.progress import Progress


def results(total: int, failed_at: int | None = None) -> list[OpResult]:
    out = []
    for i in range(1, total + 1):
        status = "failed" if i == failed_at else "done"
        out.append(OpResult("create", "groups", f"Nhóm {i}", status, "HTTP 500" if status == "failed" else "",
                            position=i, total=total))
    return out


def test_logs_get_one_numbered_line_per_operation():
    progress = Progress(terminal=False)
    text = "".join(progress.feed(r) for r in results(3, failed_at=2)) + progress.finish()
    assert text == ("[1/3]     done  create groups/Nhóm 1\n"
                    "[2/3]   failed  create groups/Nhóm 2: HTTP 500\n"
                    "[3/3]     done  create groups/Nhóm 3\n")


def test_a_terminal_gets_a_bar_with_counts_and_time_left_and_a_line_per_failure():
    now = [0.0]
    progress = Progress(terminal=True, clock=lambda: now[0], interval=0.5)
    written = []
    for r in results(10_000, failed_at=4_000):
        now[0] += 0.01  # 100 operations a second
        written.append(progress.feed(r))
    written.append(progress.finish())
    text = "".join(written)
    assert text.count("\n") == 2  # the failure's line, and the end of the finished bar
    assert "[ 4000/10000]   failed  create groups/Nhóm 4000: HTTP 500\n" in text  # padded: columns line up
    assert "[" + "-" * 30 + "]" not in text.split("\r")[-1]
    # Redrawn about every 0.5 s of 100 s, not 10,000 times.
    assert 150 <= text.count("\r") <= 260
    middle = next(chunk for chunk in text.split("\r") if chunk.startswith("[###############"))
    assert "/10,000" in middle and "done" in middle and "left" in middle
    assert "1 failed" in text.split("\r")[-1] and "9,999 done" in text.split("\r")[-1]
    assert "took 1 min 40 s" in text.split("\r")[-1]


def test_the_estimate_is_the_rate_so_far():
    now = [0.0]
    progress = Progress(terminal=True, clock=lambda: now[0])
    now[0] = 10.0
    assert "about 30 s left" in progress.bar(25, 100, now[0])
    assert "estimating" in progress.bar(2, 100, now[0])


def test_durations_read_as_minutes_and_hours():
    assert [duration(s) for s in (4.4, 65, 3725)] == ["4 s", "1 min 05 s", "1 h 02 min"]


def test_the_estimate_counts_operations_whose_requests_are_answered():
    # 25 finished, 25 more created and waiting only for their look-up: half the work is
    # done in 10 s, so about 10 s are left (not 30 s).
    now = [0.0]
    progress = Progress(terminal=True, clock=lambda: now[0])
    now[0] = 10.0
    assert "about 10 s left" in progress.bar(25, 100, now[0], written=50)
    assert "25/100" in progress.bar(25, 100, now[0], written=50)  # the count is of finished ones
