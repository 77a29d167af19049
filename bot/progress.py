"""Rich progress bars for the CLI: a broadcast's sends, and the embedding stages of an index build."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

STOPPED = ("done", "cancelled", "failed", "paused", "draft")
OUTCOMES = ("sent", "failed", "skipped", "unknown", "cancelled")


class RateColumn(ProgressColumn):
    """Items (sends, texts) per second, from rich's moving speed estimate."""

    def render(self, task: Task) -> Text:
        """The rate, or a dash before there is one."""
        return Text(f"{task.speed:,.0f}/s" if task.speed else "-/s", style="progress.data.speed")


def follow(read: Callable[[], dict[str, Any]], interval: float = 1.0) -> dict[str, Any]:
    """Redraw until the broadcast stops (done, cancelled, failed, paused); returns its last status."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, speed_estimate_period=30) as progress:
        task = progress.add_task("", total=None, detail="")
        while True:
            current = read()
            finished = sum(int(current.get(name) or 0) for name in OUTCOMES)
            detail = " ".join(f"{name}={current.get(name, 0)}" for name in OUTCOMES[1:4])
            progress.update(task, description=f"#{current['id']} {current['state']}",
                            total=max(int(current.get("total") or 0), finished) or None, completed=finished,
                            detail=detail + (f"  {current['note']}" if current.get("note") else ""))
            if current["state"] in STOPPED:
                return current
            time.sleep(interval)


@contextmanager
def build_stages() -> Iterator[Callable[[str, int, int], None]]:
    """One bar per index-build stage (texts embedded, rate, ETA); yields the progress callback Engine.build takes."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeRemainingColumn())
    with Progress(*columns, speed_estimate_period=30) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
