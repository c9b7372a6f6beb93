"""``cairn sync``: deliver the outboxes that runs left behind.

A run on a team server leaves an outbox when its process ended while the server was away
(or was killed); an offline run leaves one always. Each outbox goes to the server its run
was meant for (``run.json``), or, for an offline run without one, to ``url`` if given, else
to the embedded store. Delivery is idempotent, so syncing twice, or a run whose process is
still delivering, stores every op once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from cairn.client.backends.http_api import ServerApi
from cairn.client.home import open_store
from cairn.client.outbox import Outbox, list_outboxes
from cairn.client.shipper import HttpTarget, LocalTarget, Shipper, Target, outbox_root
from cairn.errors import CairnError
from cairn.settings import Settings

__all__ = ["SyncReport", "sync"]


@dataclass(frozen=True)
class SyncReport:
    """What one outbox came to: its run's key on the target, batches sent, any error."""

    run_id: str
    key: str | None
    target: str
    batches: int
    error: str | None = None


def sync(home: str, settings: Settings, *, url: str | None = None) -> list[SyncReport]:
    """Deliver every outbox under ``home``; an outbox is removed once delivered. A failure
    is reported for its run and the others go on.

    >>> import tempfile
    >>> sync(tempfile.mkdtemp(), Settings())
    []
    """
    reports = []
    apis: dict[str, ServerApi] = {}
    try:
        for box in list_outboxes(outbox_root(home)):
            destination = box.ticket.url or url
            if destination is None:
                target: Target = LocalTarget(open_store(home, settings), os.path.abspath(home))
            else:
                if destination not in apis:
                    apis[destination] = ServerApi(destination, token=settings.token)
                target = HttpTarget(apis[destination])
                if box.ticket.url is None:
                    box.save_ticket(replace(box.ticket, url=destination))
            reports.append(_deliver(box, target))
    finally:
        for api in apis.values():
            api.close()
    return reports


def _deliver(box: Outbox, target: Target) -> SyncReport:
    shipper = Shipper(box, target)
    try:
        count = shipper.deliver_pending()
    except CairnError as exc:
        return SyncReport(box.ticket.id, box.ticket.key, target.name, 0, str(exc))
    key = box.ticket.key
    if box.is_empty():
        box.remove()
    return SyncReport(box.ticket.id, key, target.name, count)
