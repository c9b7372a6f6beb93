"""The disk queue survives restarts and torn writes, and forgets only what was acknowledged."""

from __future__ import annotations

import os
from typing import Any

from cairn.client.backends import disk_queue
from cairn.client.backends.disk_queue import DiskQueue


def test_pending_survives_reopening_and_ack_is_durable(tmp_path: Any) -> None:
    queue = DiskQueue.open(str(tmp_path))
    for n in range(1, 6):
        queue.append(n * 10 - 9, n * 10, f"batch {n}".encode())
    queue.ack(20)
    again = DiskQueue.open(str(tmp_path))
    assert [b.payload for b in again.pending()] == [b"batch 3", b"batch 4", b"batch 5"]
    assert again.acked_seq == 20
    again.ack(10)  # acknowledging less than before changes nothing
    assert DiskQueue.open(str(tmp_path)).acked_seq == 20
    again.ack(50)
    assert again.is_empty()


def test_a_torn_tail_record_is_ignored(tmp_path: Any) -> None:
    queue = DiskQueue.open(str(tmp_path))
    queue.append(1, 1, b"whole")
    queue.append(2, 2, b"torn by a crash")
    segment = queue._segments()[-1]
    with open(segment, "r+b") as fh:
        fh.truncate(os.path.getsize(segment) - 4)
    assert [b.payload for b in DiskQueue.open(str(tmp_path)).pending()] == [b"whole"]


def test_a_corrupt_record_ends_the_readable_queue(tmp_path: Any) -> None:
    queue = DiskQueue.open(str(tmp_path))
    queue.append(1, 1, b"first")
    queue.append(2, 2, b"second")
    segment = queue._segments()[-1]
    with open(segment, "r+b") as fh:
        data = bytearray(fh.read())
        data[-1] ^= 0xFF
        fh.seek(0)
        fh.write(data)
    assert [b.payload for b in queue.pending()] == [b"first"]


def test_segments_rotate_and_fully_acknowledged_ones_are_deleted(
    tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(disk_queue, "_SEGMENT_BYTES", 100)
    queue = DiskQueue.open(str(tmp_path))
    for n in range(1, 11):
        queue.append(n, n, b"x" * 80)  # each record fills a segment
    assert len(queue._segments()) == 10
    queue.ack(7)
    assert len(queue._segments()) == 3  # 8, 9 and 10, the tail
    assert [b.last_seq for b in queue.pending()] == [8, 9, 10]
