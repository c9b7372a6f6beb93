"""Handle: what ``run["train/loss"]`` returns — log to it, assign it, upload to it, read it."""

from __future__ import annotations

import math
import os
import time
import warnings
from typing import TYPE_CHECKING, Any, cast

from cairn.client.values import float_value, series_kind_of
from cairn.errors import InvalidInput, TypeClash
from cairn.file import File
from cairn.ops import AddTagsOp, RemoveTagsOp, TrackFilesOp, UploadOp
from cairn.types import FieldPath, SeriesKind

if TYPE_CHECKING:
    import pandas as pd

    from cairn.client.run import RunReader

__all__ = ["Handle", "StepWarning"]


class StepWarning(UserWarning):
    """A point was refused because its step was not after the series' last step."""


class Handle:
    """One path of a run. Cheap to get: ``run[path]`` caches it.

    >>> import cairn, tempfile
    >>> run = cairn.init(project="doc", home=tempfile.mkdtemp(), capture=False)
    >>> run["train/loss"].log(0.5)
    >>> run["train/loss"].fetch_values()["value"].tolist()
    [0.5]
    >>> run.stop()
    """

    __slots__ = ("_run", "_path", "_kind", "_last_step", "_warned_step")

    def __init__(self, run: RunReader, path: FieldPath, last_step: float | None = None) -> None:
        self._run = run
        self._path = path
        self._kind: SeriesKind | None = None
        self._last_step = -math.inf if last_step is None else last_step
        self._warned_step = False

    @property
    def path(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"<Handle {self._run.key}:{self._path}>"

    # -- writing ----------------------------------------------------------------------------

    def log(self, value: Any, step: float | None = None, *, timestamp: float | None = None) -> None:
        """Append ``value`` to the series at this path; ``step`` auto-increments from the last
        one (starting at 0). A step not after the last one is refused with one warning.

        Raises TypeClash when the path holds a field or another kind of series, and
        UnsupportedValue for values that are not numbers, strings or cairn.File."""
        if self._kind is not SeriesKind.FLOAT or type(value) is not float:
            value = self._prepare(value)
        if step is None:
            step = 0.0 if self._last_step == -math.inf else self._last_step + 1.0
        elif not step > self._last_step:
            self._refuse(step)
            return
        self._last_step = step
        queue = self._run._queue
        queue.append((self._path, self._kind, step, value, timestamp or time.time()))
        if len(queue) > self._run._queue_limit:
            self._run._wait_for_room()

    append = log

    def _prepare(self, value: Any) -> Any:
        """Slow path of log(): the first point, and values other than plain floats."""
        self._run._check_writable()
        if self._kind is None:
            kind = series_kind_of(self._path, value)
            self._run._claim(self._path, f"series:{kind.value}")
            self._kind = kind
        if self._kind is SeriesKind.FLOAT:
            return float_value(self._path, value)
        expected = File if self._kind is SeriesKind.FILE else str
        if not isinstance(value, expected):
            raise TypeClash(
                f"{self._path}: this is a series of {self._kind.value}s; got {type(value).__name__}"
            )
        return value

    def _refuse(self, step: float) -> None:
        if not self._warned_step:
            self._warned_step = True
            warnings.warn(
                f"cairn: {self._path}: step {step} is not after the last logged step "
                f"{self._last_step}; the point was not stored (further such points are dropped "
                "silently for this series)",
                StepWarning,
                stacklevel=3,
            )

    def assign(self, value: Any) -> None:
        """Same as ``run[path] = value``."""
        self._run._assign(self._path, value)  # type: ignore[attr-defined]

    def upload(self, file: str | os.PathLike[str] | File) -> None:
        """Store a file at this path (read now if under 16 MiB, else by the sender thread).

        Raises UnsupportedValue when the file does not exist."""
        self._run._check_writable()
        stored = file if isinstance(file, File) else File.from_path(file)
        self._run._claim(self._path, "file")
        self._run._enqueue(UploadOp(self._path, stored))

    def track_files(self, location: str | os.PathLike[str]) -> None:
        """Record a data version of a file or folder: content hash, total size and file count.
        Nothing is uploaded. Raises UnsupportedValue when the location does not exist."""
        from cairn.client.data_version import hash_location

        self._run._check_writable()
        version = hash_location(os.fspath(location))
        self._run._claim(self._path, "field")
        self._run._enqueue(
            TrackFilesOp(
                self._path,
                hash=version.hash,
                size_bytes=version.size_bytes,
                file_count=version.file_count,
                location=version.location,
                files=version.files,
            )
        )

    def add(self, *tags: str | list[str] | tuple[str, ...]) -> None:
        """Add tags (only at ``sys/tags``): ``run["sys/tags"].add("best")``."""
        self._run._enqueue(AddTagsOp(self._tags(tags)))

    def remove(self, *tags: str | list[str] | tuple[str, ...]) -> None:
        """Remove tags (only at ``sys/tags``)."""
        self._run._enqueue(RemoveTagsOp(self._tags(tags)))

    def _tags(self, tags: tuple[Any, ...]) -> tuple[str, ...]:
        self._run._check_writable()
        if self._path != "sys/tags":
            raise InvalidInput(f"{self._path}: add()/remove() work on 'sys/tags' only")
        flat = [t for group in tags for t in ([group] if isinstance(group, str) else group)]
        if not all(isinstance(t, str) and t.strip() for t in flat):
            raise InvalidInput(f"sys/tags: tags must be non-empty strings, got {flat!r}")
        return tuple(flat)

    # -- reading ----------------------------------------------------------------------------

    def fetch(self) -> Any:
        """The value at this path: a field's value, a float series' last value, a file's
        record, or a sys/ value. Raises FieldNotFound."""
        return self._run._fetch_path(self._path)

    fetch_last = fetch

    def fetch_values(
        self,
        *,
        max_points: int | None = None,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> pd.DataFrame:
        """A series as a DataFrame with columns step, value, timestamp (UTC). With
        ``max_points`` the store reduces it to at most that many points, keeping min and max
        per bucket. Raises FieldNotFound."""
        import pandas as pd

        page = self._run._read_series(self._path, max_points, step_min, step_max)
        steps = page.steps
        if steps.size and (steps == steps.astype("int64")).all():
            steps = steps.astype("int64")
        frame = pd.DataFrame(
            {
                "step": steps,
                "value": page.values,
                "timestamp": pd.to_datetime(page.timestamps, unit="s", utc=True),
            }
        )
        return cast("pd.DataFrame", frame)

    def download(self, destination: str | os.PathLike[str] | None = None) -> str:
        """Download the file at this path, verifying its checksum; returns where it was
        written. ``destination`` may be a folder or a file path (default: the working
        directory, under the uploaded file's name). Raises FieldNotFound, IntegrityError."""
        record = self._run._file_record(self._path)
        dest = os.fspath(destination) if destination is not None else os.getcwd()
        if os.path.isdir(dest):
            dest = os.path.join(dest, record.name)
        return self._run._download(record, dest)
