"""Live streams (Server-Sent Events) from a real server: uvicorn in a subprocess on loopback.

The test process writes into the same database directly, as another replica or a training
client would: the server can only learn of those changes by polling the database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port, wait_until_serving

from cairn.ops import AppendOp, DeleteOp, StatusOp
from cairn.store.store import Store
from cairn.types import FieldPath, RunStatus, SeriesKind

pytestmark = pytest.mark.slow


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, timeout_s: float) -> int:
        """SIGINT, as Ctrl-C; the exit code, or fails when it takes longer than timeout_s."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"server still up after SIGINT\n{self.log.read_text()}") from None


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[Server]:
    """The API over ``store``'s database, polling every 0.1 s, a keep-alive every 0.5 s."""
    port = free_port()
    url = store.engine.url.render_as_string(hide_password=False)
    code = (
        "import uvicorn\n"
        "from cairn.server.app import create_app\n"
        "from cairn.server.routes.live import LivePolicy\n"
        "from cairn.store.store import Store\n"
        f"store = Store.open({url!r}, artifacts_url={str(tmp_path / 'served')!r})\n"
        "app = create_app(store)\n"
        "app.state.live = LivePolicy(run_poll_s=0.1, project_poll_s=0.1, keepalive_s=0.5)\n"
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='info',\n"
        "            timeout_graceful_shutdown=5)\n"
    )
    log_path = tmp_path / "server.log"
    log = open(log_path, "wb")  # closed in the finally below
    process = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)
    served = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(served.url, process, log_path)
        yield served
    finally:
        if process.poll() is None:
            served.stop(timeout_s=20)
        log.close()


@dataclass
class Event:
    event: str
    data: Any
    id: str | None
    comments: list[str] = field(default_factory=list)


class Events:
    """Reads a text/event-stream response event by event."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        self.lines = response.iter_lines()

    def next(self) -> Event | None:
        """The next event or comment block; None when the stream ended."""
        fields: dict[str, str] = {}
        comments: list[str] = []
        for line in self.lines:
            if line == "":
                if fields or comments:
                    data = json.loads(fields["data"]) if "data" in fields else None
                    return Event(fields.get("event", "message"), data, fields.get("id"), comments)
                continue
            if line.startswith(":"):
                comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        return None

    def until(self, wanted: str, timeout_s: float = 15) -> Event:
        """The next event named ``wanted``, skipping keep-alives and others."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            event = self.next()
            assert event is not None, f"the stream ended before a {wanted!r} event"
            if event.event == wanted:
                return event
        raise AssertionError(f"no {wanted!r} event within {timeout_s} s")


def _points(path: str, steps: list[float], seq: int) -> AppendOp:
    values = [1.0 / (s + 1) for s in steps]
    return AppendOp(
        FieldPath(path), SeriesKind.FLOAT, steps, values, [time.time()] * len(steps), seq=seq
    )


def test_run_stream_follows_a_training_run(server: Server, store: Store) -> None:
    run = store.create_run("mnist", name="baseline")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", f"/api/v1/runs/{run.key}/events") as response:
            events = Events(response)
            first = events.next()
            assert first is not None and first.event == "run"
            assert first.data["key"] == "MNIST-1" and first.data["status"] == "running"
            assert first.id == "0"
            snapshot = events.next()
            assert snapshot is not None and snapshot.event == "series"
            assert snapshot.data == {"series": [], "removed": []}

            store.apply_ops(run.id, [_points("train/loss", [0, 1, 2], seq=1)])
            changed = events.until("series")
            [loss] = changed.data["series"]
            assert loss["path"] == "train/loss" and loss["count"] == 3
            assert loss["last_step"] == 2 and loss["last_value"] == pytest.approx(1 / 3)
            assert changed.id == "1"

            store.apply_ops(run.id, [_points("train/loss", [3], seq=2), _points("lr", [0], seq=3)])
            changed = events.until("series")
            assert sorted((s["path"], s["count"]) for s in changed.data["series"]) == [
                ("lr", 1),
                ("train/loss", 4),
            ]

            assert http.post(f"/api/v1/runs/{run.key}/stop").status_code == 200
            stopping = events.until("run")
            while stopping.data["stop_requested_at"] is None:  # an earlier change came first
                stopping = events.until("run")
            assert stopping.data["last_seq"] == 3

            patched = http.patch(f"/api/v1/runs/{run.key}", json={"add_tags": ["best"]})
            assert patched.status_code == 200
            assert events.until("run").data["tags"] == ["best"]

            store.apply_ops(run.id, [DeleteOp(FieldPath("lr"), seq=4)])
            assert events.until("series").data == {"series": [], "removed": ["lr"]}

            store.apply_ops(run.id, [StatusOp(RunStatus.ABORTED, at=time.time(), seq=5)])
            ended = events.until("run")
            assert ended.data["status"] == "aborted" and ended.data["ended_at"] is not None

            store.delete_run(run.id)
            gone = events.until("run_deleted")
            assert gone.data == {"id": run.id, "key": "MNIST-1"}
            assert events.next() is None  # the stream ends with the run


def test_run_stream_resumes_from_last_event_id(server: Server, store: Store) -> None:
    run = store.create_run("mnist")
    store.apply_ops(run.id, [_points("loss", [0], seq=1)])
    headers = {"Last-Event-ID": "1"}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", f"/api/v1/runs/{run.key}/events", headers=headers) as response:
            events = Events(response)
            first = events.next()
            assert first is not None and first.event == "run" and first.id == "1"
            # Nothing was logged since event 1: no series snapshot, only what comes next.
            store.apply_ops(run.id, [_points("loss", [1], seq=2)])
            after = events.until("series")
            assert [(s["path"], s["count"]) for s in after.data["series"]] == [("loss", 2)]


def test_project_stream_sees_runs_created_changed_and_deleted(server: Server, store: Store) -> None:
    first = store.create_run("mnist")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", "/api/v1/projects/mnist/events") as response:
            events = Events(response)
            time.sleep(0.3)  # let the stream take its first look before anything changes
            created = http.post("/api/v1/projects/mnist/runs", json={"name": "two"}).json()
            event = events.until("run_created")
            assert event.data == {
                "id": created["id"],
                "key": "MNIST-2",
                "name": "two",
                "status": "running",
                "last_seq": 0,
            }
            assert event.id == "2"
            store.apply_ops(first.id, [_points("loss", [0], seq=1)])
            event = events.until("run_changed")
            assert event.data["key"] == "MNIST-1" and event.data["last_seq"] == 1
            store.apply_ops(first.id, [StatusOp(RunStatus.FINISHED, at=time.time(), seq=2)])
            event = events.until("run_changed")
            assert event.data["status"] == "finished"
            assert http.delete("/api/v1/runs/MNIST-1").status_code == 204
            event = events.until("run_deleted")
            assert event.data == {"id": first.id, "key": "MNIST-1"}
            store.create_run("other")  # another project's run is not news here
            store.create_run("mnist")
            assert events.until("run_created").data["key"] == "MNIST-3"


def test_project_stream_replays_runs_created_while_away(server: Server, store: Store) -> None:
    store.create_run("mnist")
    store.create_run("mnist")
    store.create_run("mnist")
    headers = {"Last-Event-ID": "1"}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", "/api/v1/projects/mnist/events", headers=headers) as response:
            events = Events(response)
            assert events.until("run_created").data["key"] == "MNIST-2"
            assert events.until("run_created").data["key"] == "MNIST-3"


def test_unknown_run_or_project_is_404_before_streaming(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        run = http.get("/api/v1/runs/MNIST-9/events")
        assert run.status_code == 404 and run.json()["error"]["code"] == "run_not_found"
        project = http.get("/api/v1/projects/nope/events")
        assert project.status_code == 404
        assert project.json()["error"]["code"] == "project_not_found"


def test_keep_alives_and_a_clean_end_when_the_client_leaves(server: Server, store: Store) -> None:
    run = store.create_run("mnist")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", f"/api/v1/runs/{run.key}/events") as response:
            events = Events(response)
            assert response.headers["cache-control"] == "no-cache"
            seen = [events.next() for _ in range(3)]
            assert [e.event for e in seen if e is not None][:2] == ["run", "series"]
            quiet = seen[2]
            assert quiet is not None and quiet.comments == ["keep-alive"]
        with http.stream("GET", "/api/v1/projects/mnist/events") as response:
            assert Events(response).next() is not None  # a keep-alive
    # Both streams were closed by the client: the server has nothing left to wait for.
    started = time.monotonic()
    assert server.stop(timeout_s=20) == 0
    assert time.monotonic() - started < 4, server.log.read_text()
    log = server.log.read_text()
    assert "Traceback" not in log and "Cancel" not in log, log
