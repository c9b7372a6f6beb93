"""Every ``CAIRN_*`` environment variable, declared once with its type, default and meaning."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["SETTINGS", "Setting", "Settings"]


@dataclass(frozen=True)
class Setting:
    env: str
    field: str
    parse: Callable[[str], object]
    default: object
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CAIRN_HOME",
        "home",
        str,
        None,
        "Folder of the embedded store; default: the nearest `.cairn/` upwards from the working "
        "directory, else a new `.cairn/` in it.",
    ),
    Setting(
        "CAIRN_PROJECT",
        "project",
        str,
        "default",
        "Project used by `cairn.init()` when no `project=` is given.",
    ),
    Setting(
        "CAIRN_URL",
        "url",
        str,
        None,
        "Address of a team server (`http://host:5000`); when set, the client and the CLI use it "
        "instead of the embedded store.",
    ),
    Setting(
        "CAIRN_TOKEN",
        "token",
        str,
        None,
        "Access token for the team server (from `cairn token create`), sent as "
        "`Authorization: Bearer`.",
    ),
    Setting(
        "CAIRN_MODE",
        "mode",
        str,
        "online",
        "`online` ships ops to the store as they come; `offline` only queues them on disk "
        "(under `CAIRN_HOME`) for a later `cairn sync`.",
    ),
    Setting(
        "CAIRN_DELIVER_TIMEOUT_S",
        "deliver_timeout_s",
        float,
        60.0,
        "How long `run.stop()` waits for an unreachable team server before leaving the run's "
        "remaining ops queued on disk for `cairn sync`.",
    ),
    Setting(
        "CAIRN_FLUSH_INTERVAL_S",
        "flush_interval_s",
        float,
        0.2,
        "How often the sender thread ships queued ops to the store.",
    ),
    Setting(
        "CAIRN_HEARTBEAT_INTERVAL_S",
        "heartbeat_interval_s",
        float,
        5.0,
        "How often a running run writes `sys/heartbeat_at`.",
    ),
    Setting(
        "CAIRN_STALE_AFTER_S",
        "stale_after_s",
        float,
        60.0,
        "A `running` run whose heartbeat is older than this is shown as `crashed`.",
    ),
    Setting(
        "CAIRN_MONITORING_INTERVAL_S",
        "monitoring_interval_s",
        float,
        10.0,
        "Seconds between hardware samples into `monitoring/...`; the first comes within 2 s.",
    ),
    Setting(
        "CAIRN_SOURCE_MAX_BYTES",
        "source_max_bytes",
        int,
        10_000_000,
        "Cap on the zipped snapshot of the project's Python sources.",
    ),
    Setting(
        "CAIRN_QUEUE_MAX_POINTS",
        "queue_max_points",
        int,
        5_000_000,
        "Points held in memory before `log()` starts waiting for the sender (backpressure).",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`Settings.from_env`.

    >>> Settings.from_env({"CAIRN_PROJECT": "mnist"}).project
    'mnist'
    """

    home: str | None = None
    project: str = "default"
    url: str | None = None
    token: str | None = None
    mode: str = "online"
    deliver_timeout_s: float = 60.0
    flush_interval_s: float = 0.2
    heartbeat_interval_s: float = 5.0
    stale_after_s: float = 60.0
    monitoring_interval_s: float = 10.0
    source_max_bytes: int = 10_000_000
    queue_max_points: int = 5_000_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every declared ``CAIRN_*`` variable; raises ConfigError on a malformed value."""
        from cairn.errors import ConfigError

        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is None or raw == "":
                continue
            try:
                values[setting.field] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"{setting.env}={raw!r} is not a valid {setting.parse.__name__}"
                ) from exc
        return cls(**values)  # type: ignore[arg-type]


def render_markdown() -> str:
    """The settings table of docs/settings.md; ``python -m cairn.settings`` prints it."""
    lines = [
        "# Settings",
        "",
        "Every `CAIRN_*` environment variable Cairn reads. Generated from",
        "`src/cairn/settings.py` by `python -m cairn.settings > docs/settings.md`;",
        "`tests/docs` fails when the two drift apart.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{s.env}` | `{s.default}` | {s.doc} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
