"""The training loop's progress bar (train/loop.py): loss, tokens/s and ETA with rich, silent
when stdout is not a terminal or the process is not the main one."""

from __future__ import annotations

import contextlib
from typing import Iterator


class TrainProgress:
    """A rich progress bar (loss, tokens/s, ETA) that stays silent when stdout is not a TTY."""

    def __init__(self, desc: str, total: int, completed: int = 0, enabled: bool = True):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        console = Console()
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}"),
            TextColumn("{task.fields[tokens_per_s]:,.0f} tok/s"), TimeRemainingColumn(),
            console=console, disable=not (enabled and console.is_terminal), transient=False,
        )
        self._task = self._bar.add_task(desc, total=total, completed=completed,
                                        loss=float("nan"), tokens_per_s=0.0)

    def show(self, **fields: float) -> None:
        """Update the displayed loss / tokens per second."""
        self._bar.update(self._task, **fields)

    def advance(self) -> None:
        """One step done."""
        self._bar.advance(self._task)


@contextlib.contextmanager
def train_progress(desc: str, total: int, completed: int = 0,
              enabled: bool = True) -> Iterator[TrainProgress]:
    """The bar, starting at `completed` (a resumed phase); `enabled` False silences it (the
    processes other than the main one)."""
    progress = TrainProgress(desc, total, completed, enabled)
    with progress._bar:
        yield progress
