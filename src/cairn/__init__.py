"""Cairn: an experiment tracker for machine learning.

>>> import cairn, tempfile
>>> with cairn.init(project="quickstart", home=tempfile.mkdtemp(), capture=False) as run:
...     run["parameters/lr"] = 0.01
...     for step in range(3):
...         run["train/loss"].log(1.0 / (step + 1))
>>> run["train/loss"].fetch()
0.3333333333333333
"""

from cairn.client.api import get_run, init
from cairn.client.backends.local import CairnWarning
from cairn.client.handles import Handle, StepWarning
from cairn.client.query import Project, list_projects
from cairn.client.run import Run, RunReader
from cairn.errors import (
    AlreadyExists,
    ArtifactNotFound,
    BackendError,
    CairnError,
    ConfigError,
    Conflict,
    FieldNotFound,
    IntegrityError,
    InvalidInput,
    InvalidPath,
    NotFound,
    ProjectNotFound,
    QuerySyntaxError,
    RunFinished,
    RunNotFound,
    SchemaOutdated,
    StoreError,
    TypeClash,
    UnsupportedValue,
)
from cairn.file import File
from cairn.types import RunStatus

__version__ = "0.1.0"

__all__ = [
    "AlreadyExists",
    "ArtifactNotFound",
    "BackendError",
    "CairnError",
    "CairnWarning",
    "ConfigError",
    "Conflict",
    "FieldNotFound",
    "File",
    "Handle",
    "IntegrityError",
    "InvalidInput",
    "InvalidPath",
    "NotFound",
    "Project",
    "ProjectNotFound",
    "QuerySyntaxError",
    "Run",
    "RunFinished",
    "RunNotFound",
    "RunReader",
    "RunStatus",
    "SchemaOutdated",
    "StepWarning",
    "StoreError",
    "TypeClash",
    "UnsupportedValue",
    "get_run",
    "init",
    "list_projects",
]
