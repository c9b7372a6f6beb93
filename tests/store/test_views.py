"""Saved views of the dashboard, per project, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from cairn.errors import AlreadyExists, InvalidInput, ProjectNotFound, ViewNotFound
from cairn.store.store import Store


def test_save_list_update_and_delete_views(store: Store) -> None:
    store.create_run("mnist")
    store.create_run("cifar")
    assert store.list_views("mnist") == []
    best = store.create_view("mnist", name="best", state="sort=-val%2Facc", created_by="ann")
    store.create_view("mnist", name="Adam runs", state="filter=x")
    store.create_view("cifar", name="best", state="cols=sys%2Fid")  # names are per project
    assert [v.name for v in store.list_views("mnist")] == ["Adam runs", "best"]
    assert best.project == "mnist" and best.created_by == "ann"
    assert best.created_at == best.updated_at
    assert store.get_view("mnist", best.id) == best

    changed = store.update_view("mnist", best.id, state="sort=val%2Floss")
    assert changed.name == "best" and changed.state == "sort=val%2Floss"
    assert changed.updated_at >= best.updated_at and changed.created_at == best.created_at
    renamed = store.update_view("mnist", best.id, name="lowest loss")
    assert renamed.state == "sort=val%2Floss"

    store.delete_view("mnist", best.id)
    assert [v.name for v in store.list_views("mnist")] == ["Adam runs"]
    assert [v.name for v in store.list_views("cifar")] == ["best"]


def test_names_are_unique_per_project(store: Store) -> None:
    store.create_run("mnist")
    first = store.create_view("mnist", name="best", state="a=1")
    other = store.create_view("mnist", name="other", state="")
    with pytest.raises(AlreadyExists, match="has a view named 'best' already"):
        store.create_view("mnist", name="best", state="a=2")
    with pytest.raises(AlreadyExists):
        store.update_view("mnist", other.id, name="best")
    # Renaming a view to its own name is no clash; the first view is untouched.
    assert store.update_view("mnist", first.id, name="best").state == "a=1"


def test_bad_input_and_missing_things(store: Store) -> None:
    store.create_run("mnist")
    store.create_run("cifar")
    view = store.create_view("mnist", name="  spaced  ", state="")
    assert view.name == "spaced"
    for name in ["", "   ", "x" * 201, "a\x00b"]:
        with pytest.raises(InvalidInput):
            store.create_view("mnist", name=name, state="")
    with pytest.raises(InvalidInput):
        store.create_view("mnist", name="long", state="x" * 20_001)
    with pytest.raises(ProjectNotFound):
        store.create_view("nope", name="a", state="")
    with pytest.raises(ProjectNotFound):
        store.list_views("nope")
    with pytest.raises(ViewNotFound):
        store.get_view("mnist", view.id + 100)
    # A view is reached through its own project only.
    with pytest.raises(ViewNotFound):
        store.delete_view("cifar", view.id)
    with pytest.raises(ViewNotFound):
        store.update_view("cifar", view.id, name="mine")
    assert store.list_views("mnist") == [view]
