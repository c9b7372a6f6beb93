"""Outbox: a run's ops on local disk until a store has acknowledged them.

An HTTP client (and an offline one) writes every batch here before anything goes over the
network, so that a server outage, a network cut or the end of the process loses nothing:
``cairn sync`` delivers whatever is left. One folder a run, under the client's home::

    outbox/<run-id>/
        run.json     where the run belongs: project, target URL, and for a run not yet
                     created on its target (offline) how to create it
        queue/       the DiskQueue of batches (CRC-framed, fsync'd, acknowledged offset)
        blobs/       file bytes that ops refer to, content-addressed, until uploaded

A batch is stored as one line of JSON naming the blobs it needs, then the gzip-compressed
``{"ops": [...]}`` body exactly as the server's ingestion endpoint takes it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from cairn import wire
from cairn.client.backends.disk_queue import DiskQueue, QueuedBatch
from cairn.client.backends.http_api import gzip_json
from cairn.file import File
from cairn.ops import Op
from cairn.store.artifacts import ArtifactStore

__all__ = ["Batch", "Outbox", "RunTicket", "list_outboxes"]


@dataclass(frozen=True)
class RunTicket:
    """What ``run.json`` holds: the run, its project, where it goes, and (while it does not
    exist on its target yet) the fields to create it with."""

    id: str
    project: str
    url: str | None
    key: str | None = None
    create: dict[str, Any] | None = None
    created_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """One queued batch: its sequence numbers, the blobs it refers to, the gzip body."""

    first_seq: int
    last_seq: int
    blobs: tuple[str, ...]
    body: bytes


class Outbox:
    """The on-disk outbox of one run.

    >>> import tempfile
    >>> from cairn.ops import SetOp
    >>> from cairn.types import FieldKind, FieldPath
    >>> box = Outbox.create(tempfile.mkdtemp(), RunTicket(id="r1", project="p", url=None))
    >>> box.append([SetOp(FieldPath("lr"), FieldKind.FLOAT, 0.1, seq=1)]).last_seq
    1
    >>> [b.last_seq for b in box.pending()]
    [1]
    """

    def __init__(self, folder: str, ticket: RunTicket) -> None:
        self.folder = folder
        self.ticket = ticket
        self.queue = DiskQueue.open(os.path.join(folder, "queue"))
        self.blobs = ArtifactStore.open(os.path.join(folder, "blobs"))

    @classmethod
    def create(cls, root: str, ticket: RunTicket) -> Outbox:
        """The outbox of ``ticket.id`` under ``root``, writing its ``run.json``."""
        folder = os.path.join(root, ticket.id)
        os.makedirs(folder, exist_ok=True)
        box = cls(folder, ticket)
        box.save_ticket(ticket)
        return box

    @classmethod
    def open(cls, folder: str) -> Outbox:
        with open(os.path.join(folder, "run.json"), "rb") as fh:
            ticket = RunTicket(**orjson.loads(fh.read()))
        return cls(folder, ticket)

    def save_ticket(self, ticket: RunTicket) -> None:
        """Replace ``run.json`` atomically (say, once the run exists on its target)."""
        temp = os.path.join(self.folder, "run.json.tmp")
        with open(temp, "wb") as fh:
            fh.write(orjson.dumps(asdict(ticket), option=orjson.OPT_INDENT_2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, os.path.join(self.folder, "run.json"))
        self.ticket = ticket

    def append(self, ops: Sequence[Op]) -> Batch:
        """Write ``ops`` (numbered, in order) durably; their files' bytes are copied into
        ``blobs/`` first, so that the batch holds only references."""
        needed: list[str] = []

        def keep(file: File) -> File:
            if file.data is not None:
                blob = self.blobs.put_bytes(file.data)
            else:
                assert file.source is not None
                blob = self.blobs.put_file(file.source)
            needed.append(blob.sha256)
            return File.stored(blob.sha256, blob.size_bytes, name=file.name, mime=file.mime)

        encoded = wire.encode_ops(ops, store_file=keep)
        blobs = tuple(dict.fromkeys(needed))
        body = gzip_json({"ops": encoded})
        batch = Batch(ops[0].seq or 0, ops[-1].seq or 0, blobs, body)
        header = orjson.dumps({"blobs": blobs}) + b"\n"
        self.queue.append(batch.first_seq, batch.last_seq, header + body)
        return batch

    def pending(self) -> Iterator[Batch]:
        """Batches not yet acknowledged, oldest first."""
        for queued in self.queue.pending():
            yield _batch(queued)

    def ack(self, last_seq: int) -> None:
        self.queue.ack(last_seq)

    def is_empty(self) -> bool:
        return self.queue.is_empty()

    def remove(self) -> None:
        """Delete the outbox once everything in it is delivered."""
        shutil.rmtree(self.folder, ignore_errors=True)


def list_outboxes(root: str) -> list[Outbox]:
    """Every outbox under ``root``, oldest run first; folders without ``run.json`` (a run
    whose creation was cut short) are skipped."""
    if not os.path.isdir(root):
        return []
    boxes = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isfile(os.path.join(folder, "run.json")):
            boxes.append(Outbox.open(folder))
    return sorted(boxes, key=lambda b: b.ticket.created_at or 0.0)


def _batch(queued: QueuedBatch) -> Batch:
    header, _, body = queued.payload.partition(b"\n")
    blobs = tuple(orjson.loads(header)["blobs"])
    return Batch(queued.first_seq, queued.last_seq, blobs, body)

