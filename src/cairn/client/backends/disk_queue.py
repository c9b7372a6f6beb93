"""DiskQueue: a run's ops on local disk before a server has them.

An HTTP client appends every batch here first (fsync'd), then ships it, then records the
acknowledged sequence number. Whatever was appended and not acknowledged when the process
ended, or while the server was down, is still here for the next attempt or ``cairn sync``.

Layout of a queue folder::

    segment-00000001.log   records: header (magic, length, crc32, first_seq, last_seq) + payload
    acked                  the highest acknowledged seq, replaced atomically

A record torn by a crash mid-write fails its length or CRC check and ends the readable
queue: a batch is either wholly there or not there at all.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["DiskQueue", "QueuedBatch"]

_HEADER = struct.Struct("<4sIIQQ")
_MAGIC = b"CQ01"
_SEGMENT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class QueuedBatch:
    first_seq: int
    last_seq: int
    payload: bytes


class DiskQueue:
    """An append-only, acknowledged queue of batches in one folder.

    >>> import tempfile
    >>> queue = DiskQueue.open(tempfile.mkdtemp())
    >>> queue.append(1, 3, b"ops 1-3")
    >>> [b.last_seq for b in queue.pending()]
    [3]
    >>> queue.ack(3); list(queue.pending())
    []
    """

    def __init__(self, folder: str, acked_seq: int) -> None:
        self.folder = folder
        self.acked_seq = acked_seq

    @classmethod
    def open(cls, folder: str) -> DiskQueue:
        """Open or create the queue in ``folder``."""
        os.makedirs(folder, exist_ok=True)
        try:
            with open(os.path.join(folder, "acked"), encoding="ascii") as fh:
                acked = int(fh.read().strip() or 0)
        except FileNotFoundError:
            acked = 0
        return cls(folder, acked)

    def _segments(self) -> list[str]:
        names = sorted(n for n in os.listdir(self.folder) if n.startswith("segment-"))
        return [os.path.join(self.folder, n) for n in names]

    def _tail_segment(self) -> str:
        segments = self._segments()
        if segments and os.path.getsize(segments[-1]) < _SEGMENT_BYTES:
            return segments[-1]
        number = int(os.path.basename(segments[-1])[8:16]) + 1 if segments else 1
        return os.path.join(self.folder, f"segment-{number:08d}.log")

    def append(self, first_seq: int, last_seq: int, payload: bytes) -> None:
        """Write one batch durably (flushed and fsync'd before returning)."""
        header = _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload), first_seq, last_seq)
        with open(self._tail_segment(), "ab") as fh:
            fh.write(header + payload)
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> Iterator[QueuedBatch]:
        """Batches not yet acknowledged, oldest first."""
        for segment in self._segments():
            for batch in _read_segment(segment):
                if batch.last_seq > self.acked_seq:
                    yield batch

    def ack(self, last_seq: int) -> None:
        """Record that every op up to ``last_seq`` is stored by the server; segments holding
        nothing newer are deleted."""
        if last_seq <= self.acked_seq:
            return
        temp = os.path.join(self.folder, "acked.tmp")
        with open(temp, "w", encoding="ascii") as fh:
            fh.write(str(last_seq))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, os.path.join(self.folder, "acked"))
        self.acked_seq = last_seq
        for segment in self._segments()[:-1]:  # the tail segment may still be appended to
            if all(b.last_seq <= last_seq for b in _read_segment(segment)):
                os.unlink(segment)

    def is_empty(self) -> bool:
        """True when every appended batch is acknowledged."""
        return next(self.pending(), None) is None


def _read_segment(path: str) -> Iterator[QueuedBatch]:
    with open(path, "rb") as fh:
        data = fh.read()
    offset = 0
    while offset + _HEADER.size <= len(data):
        magic, length, crc, first_seq, last_seq = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        payload = data[start : start + length]
        if magic != _MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
            return  # a record torn by a crash: nothing after it was acknowledged either
        yield QueuedBatch(first_seq, last_seq, payload)
        offset = start + length
