"""Copy what the program prints, line by line, while the console still shows it.

Only writes through ``sys.stdout``/``sys.stderr`` are seen; output a C extension or a child
process writes straight to file descriptor 1 or 2 is not.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

__all__ = ["ConsoleCapture"]

logger = logging.getLogger("cairn")

MAX_LINE_CHARS = 64 * 1024  # a line never ended (a stuck progress bar) is cut into pieces


def _visible(line: str) -> str:
    """What a terminal shows for ``line``: ``\\r`` returns to the start, so the last part wins."""
    if line.endswith("\r"):
        line = line[:-1]  # a Windows line ending
    return line.rsplit("\r", 1)[-1]


class _Tee:
    """Stands in for one stream: writes go to the original and complete lines to the owner."""

    def __init__(self, original: TextIO, name: str, owner: ConsoleCapture) -> None:
        self._original = original
        self._name = name
        self._owner = owner
        self._lock = threading.Lock()
        # One partial line per thread, so prints racing from two threads stay whole lines.
        self._partial: dict[int, str] = {}
        self.is_active = True

    def write(self, text: str) -> int:
        written = self._original.write(text)
        if self.is_active and isinstance(text, str) and text and not self._owner._is_emitting():
            self._collect(text)
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def _collect(self, text: str) -> None:
        at = time.time()
        thread = threading.get_ident()
        with self._lock:
            pending = self._partial.pop(thread, "") + text
            *complete, rest = pending.split("\n")
            if "\r" in rest[:-1]:
                # Keep only what a progress bar would still show; the rest was overwritten.
                rest = rest[rest.rindex("\r", 0, len(rest) - 1) + 1 :]
            while len(rest) > MAX_LINE_CHARS:
                complete.append(rest[:MAX_LINE_CHARS])
                rest = rest[MAX_LINE_CHARS:]
            if rest:
                self._partial[thread] = rest
        # Emit outside the lock: if emit waits on a lock held by a thread that is printing
        # (a sender logging a warning), holding ours too would deadlock both.
        for line in complete:
            self._owner._emit_line(self._name, _visible(line), at)

    def flush_partial(self) -> None:
        """Emit every unfinished line as if it had ended."""
        at = time.time()
        with self._lock:
            partial, self._partial = self._partial, {}
        for line in partial.values():
            self._owner._emit_line(self._name, _visible(line), at)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return self._original.isatty()

    def fileno(self) -> int:
        return self._original.fileno()

    @property
    def encoding(self) -> str:
        return self._original.encoding

    @property
    def errors(self) -> str | None:
        return self._original.errors

    def __getattr__(self, name: str) -> Any:
        # Anything else (buffer, name, mode, closed, reconfigure...) is the original's.
        return getattr(self._original, name)


class ConsoleCapture:
    """Tees ``sys.stdout`` and ``sys.stderr``; calls ``emit(stream, line, timestamp)`` per line.

    ``stream`` is ``"stdout"`` or ``"stderr"`` and ``line`` has no line ending. A partial line
    waits for its end (per thread) or for :meth:`stop`. ``emit`` runs on the printing thread,
    concurrently when several threads print, so it must be cheap and thread-safe. When
    ``emit`` raises, the print still succeeds: the failure is counted in
    :attr:`failure_count` and passed to ``on_error``.

    >>> lines = []
    >>> capture = ConsoleCapture(lambda stream, line, at: lines.append(line))
    >>> capture.start(); print("hello"); capture.stop()
    hello
    >>> lines
    ['hello']
    """

    def __init__(
        self,
        emit: Callable[[str, str, float], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._emit = emit
        self._on_error = on_error
        self._local = threading.local()
        self._tees: list[tuple[str, _Tee]] = []
        self._count_lock = threading.Lock()
        self.failure_count = 0

    def start(self) -> None:
        """Replace sys.stdout and sys.stderr by tees; raises RuntimeError if already started."""
        if self._tees:
            raise RuntimeError("ConsoleCapture is already started")
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if original is None:
                continue  # pythonw and some services run without a console stream
            tee = _Tee(original, name, self)
            self._tees.append((name, tee))
            setattr(sys, name, tee)

    def stop(self) -> None:
        """Emit unfinished lines and put the original streams back. Idempotent."""
        tees, self._tees = self._tees, []
        for name, tee in tees:
            tee.is_active = False
            tee.flush_partial()
            # Someone who replaced the stream after us keeps theirs; our tee, left in their
            # chain, just passes writes through now.
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._original)

    def _is_emitting(self) -> bool:
        return bool(getattr(self._local, "is_emitting", False))

    def _emit_line(self, stream: str, line: str, at: float) -> None:
        # A print inside emit (or inside on_error) reaches the console but is not captured:
        # capturing it would recurse into the lock this thread already holds.
        self._local.is_emitting = True
        try:
            self._emit(stream, line, at)
        except Exception as exc:  # printing must never fail because capture did
            self._report(exc)
        finally:
            self._local.is_emitting = False

    def _report(self, exc: BaseException) -> None:
        with self._count_lock:  # emit runs on every printing thread at once
            self.failure_count += 1
        logger.debug("cairn: console capture emit failed", exc_info=exc)
        if self._on_error is None:
            return
        try:
            self._on_error(exc)
        except Exception:
            logger.debug("cairn: console capture on_error failed", exc_info=True)
