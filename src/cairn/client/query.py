"""The read API: ``cairn.Project("mnist").runs(filter=..., sort=...)`` as a DataFrame."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from cairn.client.backends.base import Reader
from cairn.client.connect import connect
from cairn.settings import Settings
from cairn.store.records import ProjectRecord, RunRecord

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["Project", "list_projects"]


class Project:
    """A project in the embedded store. The constructor does no I/O.

    >>> import cairn, tempfile
    >>> home = tempfile.mkdtemp()
    >>> for lr in (0.1, 0.01):
    ...     with cairn.init(project="mnist", home=home, capture=False) as run:
    ...         run["parameters/lr"] = lr
    ...         run["val/acc"].log(1 - lr)
    >>> cairn.Project("mnist", home=home).runs(filter="parameters/lr < 0.05")["sys/id"].tolist()
    ['MNIST-2']
    """

    def __init__(self, name: str, *, home: str | os.PathLike[str] | None = None) -> None:
        self.name = name
        self.home = None if home is None else os.fspath(home)

    def _reader(self) -> Reader:
        return _reader_for(self.home)

    def runs(
        self,
        filter: str = "",
        *,
        sort: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """One row a run: ``sys/...`` columns, a column per field path, and for every float
        series its last value (``val/acc``), ``val/acc:min`` and ``val/acc:max``.

        ``filter`` and ``sort`` use the language in docs/query.md. Raises ProjectNotFound,
        QuerySyntaxError (pointing at the offending position)."""
        reader = self._reader()
        records = reader.list_runs(self.name, filter=filter, sort=sort, limit=limit, offset=offset)
        return runs_table(reader, records)

    def run_records(
        self, filter: str = "", *, sort: str = "", limit: int | None = None
    ) -> list[RunRecord]:
        """The matching runs as records, without building a table."""
        return self._reader().list_runs(self.name, filter=filter, sort=sort, limit=limit, offset=0)


def runs_table(reader: Reader, records: list[RunRecord]) -> pd.DataFrame:
    """A DataFrame of ``records`` with every field and float-series summary as columns."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    details = reader.run_columns([r.id for r in records])
    for record in records:
        row: dict[str, Any] = record.sys_fields()
        row.update(details.get(record.id, {}))
        rows.append(row)
    frame = cast("pd.DataFrame", pd.DataFrame(rows))
    if frame.empty:
        return frame
    fixed = [c for c in frame.columns if c.startswith("sys/")]
    ordered = fixed + sorted(c for c in frame.columns if not c.startswith("sys/"))
    return cast("pd.DataFrame", frame[ordered])


def list_projects(home: str | os.PathLike[str] | None = None) -> list[ProjectRecord]:
    """Every project in the store with run counts and last activity."""
    return _reader_for(None if home is None else os.fspath(home)).list_projects()


def _reader_for(home: str | None) -> Reader:
    """The embedded store, or the team server when CAIRN_URL is set."""
    return connect(Settings.from_env(), home=home, mode="online")
