"""Live streams of changes as Server-Sent Events: one run, or the runs of a project.

The server keeps no state between requests, so that replicas behind a load balancer answer
alike: each stream polls the database (``Store.probe_run``, ``Store.probe_project``: one
cheap query a poll, a second read only when something moved) and sends what differs from
its previous poll. docs/design.md has the event shapes and the choice of intervals.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from cairn.server.deps import RunDep, StoreDep
from cairn.server.schemas import (
    ErrorBody,
    Run,
    RunChanged,
    RunDeleted,
    SeriesChanged,
    SeriesSummary,
)
from cairn.store.live import ProjectProbe, RunBrief, RunProbe
from cairn.store.records import ProjectRecord, SeriesRecord

__all__ = ["DEFAULT_LIVE", "LivePolicy", "router"]

router = APIRouter(tags=["live"])

# Errors are JSON even on a stream route: a bare {"model": ...} would be documented under
# the route's own media type (text/event-stream), which the answer does not have.
_JSON_ERROR = {
    "application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}
}
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"description": "Bad Request", "content": _JSON_ERROR},
    404: {"description": "Not Found", "content": _JSON_ERROR},
}
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        description="the id of the last event received; a browser's EventSource sends it "
        "when it reconnects",
    ),
]


@dataclass(frozen=True)
class LivePolicy:
    """How often streams poll the database and send a keep-alive comment when idle.
    ``create_app`` callers may put another one on ``app.state.live``."""

    run_poll_s: float = 0.5
    project_poll_s: float = 1.0
    keepalive_s: float = 15.0


DEFAULT_LIVE = LivePolicy()


def _policy(request: Request) -> LivePolicy:
    policy = getattr(request.app.state, "live", None)
    return policy if isinstance(policy, LivePolicy) else DEFAULT_LIVE


def _project(project: str, store: StoreDep) -> ProjectRecord:
    # A dependency, so that an unknown project is a 404 before the stream starts.
    return store.get_project(project)


ProjectDep = Annotated[ProjectRecord, Depends(_project)]


class _KeepAlive:
    """Says when a stream has been silent for ``keepalive_s`` and should send a comment."""

    def __init__(self, keepalive_s: float) -> None:
        self.keepalive_s = keepalive_s
        self.last = time.monotonic()

    def sent(self) -> None:
        self.last = time.monotonic()

    def due(self) -> bool:
        if time.monotonic() - self.last < self.keepalive_s:
            return False
        self.last = time.monotonic()
        return True


def _series_mark(record: SeriesRecord) -> tuple[object, ...]:
    # Not the record itself: a NaN last value never equals itself.
    return (record.count, record.first_step, record.last_step, record.last_at)


@router.get(
    "/runs/{ref}/events",
    response_class=EventSourceResponse,
    responses=_ERRORS,
)
async def run_events(
    run: RunDep, store: StoreDep, request: Request, last_event_id: LastEventId = None
) -> AsyncIterator[ServerSentEvent]:
    """A stream of the run's changes (``text/event-stream``), polled from the database
    every 0.5 s:

    - ``run``: the run record (`Run`) whenever it changed (status, ``last_seq``,
      heartbeat, stop request, name, description, tags); first sent at once;
    - ``series``: `SeriesChanged`, the series that are new or got points (count, last
      step and value, min, max), and the paths deleted; first sent at once with all;
    - ``run_deleted``: `RunDeleted`, then the stream ends.

    Each event's id is the run's ``last_seq``: a client reconnecting with
    ``Last-Event-ID`` equal to it is spared the first ``series`` event. A comment
    (``: keep-alive``) comes after 15 s of silence. The stream lasts until the client
    disconnects or the run is deleted."""
    policy = _policy(request)
    keepalive = _KeepAlive(policy.keepalive_s)
    seen: RunProbe | None = None
    marks: dict[str, tuple[object, ...]] = {}
    while True:
        probe = await run_in_threadpool(store.probe_run, run.id)
        if probe is None:
            yield ServerSentEvent(event="run_deleted", data=RunDeleted(id=run.id, key=run.key))
            return
        cursor = str(probe.record.last_seq)
        if seen is None or probe.record != seen.record:
            yield ServerSentEvent(event="run", data=Run.of(probe.record), id=cursor)
            keepalive.sent()
        if seen is None or probe.series_version != seen.series_version:
            current = await run_in_threadpool(store.list_series, run.id)
            changed = [s for s in current if marks.get(s.path) != _series_mark(s)]
            removed = sorted(set(marks) - {s.path for s in current})
            marks = {s.path: _series_mark(s) for s in current}
            # A reconnecting client that saw this last_seq has these series, unless points
            # landed between the probe and this read (then it has not).
            totals = (len(current), sum(s.count for s in current))
            is_resumed = (
                seen is None
                and last_event_id == cursor
                and totals == (probe.series_count, probe.point_count)
            )
            if (changed or removed or seen is None) and not is_resumed:
                data = SeriesChanged(series=[SeriesSummary.of(s) for s in changed], removed=removed)
                yield ServerSentEvent(event="series", data=data, id=cursor)
                keepalive.sent()
        seen = probe
        if keepalive.due():
            yield ServerSentEvent(comment="keep-alive")
        await anyio.sleep(policy.run_poll_s)


@router.get(
    "/projects/{project}/events",
    response_class=EventSourceResponse,
    responses=_ERRORS,
)
async def project_events(
    project: ProjectDep, store: StoreDep, request: Request, last_event_id: LastEventId = None
) -> AsyncIterator[ServerSentEvent]:
    """A stream of changes to the project's runs (``text/event-stream``), polled from the
    database every second. Each event's data is a `RunChanged` (``id``, ``key``, ``name``,
    ``status``, ``last_seq``) or, for ``run_deleted``, a `RunDeleted`:

    - ``run_created``: a new run;
    - ``run_changed``: a run's status or ``last_seq`` changed (it received ops, ended, or
      lost its heartbeat and reads as crashed);
    - ``run_deleted``: a run was deleted.

    Nothing is sent for the runs as they are when the stream opens. Each event's id is
    the highest run number of the project: a client reconnecting with ``Last-Event-ID``
    gets ``run_created`` for the runs created since; other changes while it was away
    are not replayed, so it refetches the runs it shows. A comment (``: keep-alive``)
    comes after 15 s of silence. The stream lasts until the client disconnects."""
    policy = _policy(request)
    keepalive = _KeepAlive(policy.keepalive_s)
    seen: ProjectProbe = await run_in_threadpool(store.probe_project, project.name)
    if last_event_id is not None and last_event_id.isdigit():
        since = int(last_event_id)
        missed = sorted((b for b in seen.runs.values() if b.number > since), key=_number)
        for brief in missed:
            yield _brief_event("run_created", brief, seen)
            keepalive.sent()
    while True:
        await anyio.sleep(policy.project_poll_s)
        probe = await run_in_threadpool(store.probe_project, project.name, previous=seen)
        if probe is not seen:
            for brief in sorted(probe.runs.values(), key=_number):
                before = seen.runs.get(brief.id)
                if before is None:
                    yield _brief_event("run_created", brief, probe)
                elif (before.status, before.last_seq) != (brief.status, brief.last_seq):
                    yield _brief_event("run_changed", brief, probe)
                else:
                    continue
                keepalive.sent()
            for gone in sorted(set(seen.runs) - set(probe.runs)):
                brief = seen.runs[gone]
                data = RunDeleted(id=brief.id, key=brief.key)
                yield ServerSentEvent(event="run_deleted", data=data, id=_cursor(probe))
                keepalive.sent()
            seen = probe
        if keepalive.due():
            yield ServerSentEvent(comment="keep-alive")


def _number(brief: RunBrief) -> int:
    return brief.number


def _cursor(probe: ProjectProbe) -> str:
    return str(probe.fingerprint[1])


def _brief_event(event: str, brief: RunBrief, probe: ProjectProbe) -> ServerSentEvent:
    data = RunChanged(
        id=brief.id,
        key=brief.key,
        name=brief.name,
        status=brief.status,
        last_seq=brief.last_seq,
    )
    return ServerSentEvent(event=event, data=data, id=_cursor(probe))
