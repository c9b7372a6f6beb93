"""Names for the values that travel between the client, the store and the server."""

from __future__ import annotations

import enum
from typing import NewType

__all__ = ["FieldKind", "FieldPath", "RunId", "RunKey", "RunStatus", "ScalarValue", "SeriesKind"]

RunId = NewType("RunId", str)
"""A run's UUID, as text: for machines."""

RunKey = NewType("RunKey", str)
"""A run's short id within its project, such as ``MNIST-42``: for people."""

FieldPath = NewType("FieldPath", str)
"""A validated ``/``-separated path such as ``parameters/lr``."""

ScalarValue = float | int | bool | str


class RunStatus(str, enum.Enum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CRASHED = "crashed"
    ABORTED = "aborted"

    def __str__(self) -> str:
        return self.value


class FieldKind(str, enum.Enum):
    """What a single-valued field holds; decides which column of the ``fields`` table is used."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STRING = "string"
    DATETIME = "datetime"
    JSON = "json"
    DATA_VERSION = "data_version"

    def __str__(self) -> str:
        return self.value


class SeriesKind(str, enum.Enum):
    FLOAT = "float"
    STRING = "string"
    FILE = "file"

    def __str__(self) -> str:
        return self.value
