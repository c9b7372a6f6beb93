"""The public surface is a list: a name that leaks in or goes missing fails here."""

import cairn

EXPECTED = {
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
}


def test_exported_names() -> None:
    assert set(cairn.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(cairn, name) is not None


def test_every_error_has_a_distinct_code_and_a_status() -> None:
    errors = [
        getattr(cairn, n)
        for n in EXPECTED
        if isinstance(getattr(cairn, n), type) and issubclass(getattr(cairn, n), cairn.CairnError)
    ]
    codes = [e.code for e in errors]
    assert len(codes) == len(set(codes))
    assert all(e.status in (400, 401, 403, 404, 409, 500, 503) for e in errors)
