"""Rows in, batches out: normalized, merged by phone within the batch, with their problems.

Normalizing is Python work and merging is database work, so batches are produced in a thread
one or two ahead of the writer (`prefetch`): the database's drivers let go of the interpreter
while they wait, and the two overlap. Memory stays bounded by the batch size.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.contacts.imports.columns import IMPORTED
from bot.contacts.imports.normalize import Problem, RowNormalizer

T = TypeVar("T")
_WIDTH = len(IMPORTED)


@dataclass
class Batch:
    """Staged rows (IMPORTED, then first row number and how many rows had that phone), the
    problems found, and how far into the file the batch ends."""

    staged: list[list[Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0  # rows with anything in them
    rejected: int = 0
    warnings: int = 0
    position: int = 0  # records read after the header, blank ones included
    payload: bytes | None = None  # the staged rows as PostgreSQL COPY text, made ahead


def _merge(into: list[Any], values: tuple[Any, ...]) -> None:
    """A repeat of a phone in the same file: the first row wins, later rows fill its gaps
    (no tags, "", is a gap too, as it is for a repeat in a later batch)."""
    into[-1] += 1
    for i in range(1, _WIDTH):
        if (into[i] is None and values[i] is not None) or (into[i] == "" and values[i]):
            into[i] = values[i]


def batches(
    rows: Iterator[tuple[int, list[str]]], normalize: RowNormalizer, *, size: int, start: int = 0
) -> Iterator[Batch]:
    """Batches of about `size` rows; `start` is the position the rows begin at."""
    batch, merged, position, last = Batch(), dict[str, list[Any]](), start, start
    for number, cells in rows:
        position += 1
        values, problems = normalize(number, cells)
        if problems:
            batch.problems.extend(problems)
            batch.warnings += sum(not p.rejected for p in problems)
        if values is None:
            if problems:
                batch.rows += 1
                batch.rejected += 1
        else:
            batch.rows += 1
            found = merged.get(values[0])  # type: ignore[arg-type]
            if found is None:
                merged[values[0]] = [*values, number, 1]  # type: ignore[index]
            else:
                _merge(found, values)
        if batch.rows >= size:
            batch.staged, batch.position = list(merged.values()), position
            yield batch
            batch, merged, last = Batch(), {}, position
    if position > last:
        batch.staged, batch.position = list(merged.values()), position
        yield batch


def skip(rows: Iterator[T], count: int) -> Iterator[T]:
    """The rows after the first `count` (a resumed import starts where it stopped)."""
    return itertools.islice(rows, count, None)


_END = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` in a thread, up to `depth` ahead; its errors are raised here."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                box.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", _END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put("error", exc)

    thread = threading.Thread(target=work, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=30)
