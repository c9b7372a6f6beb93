"""Access tokens in the store: only hashes are kept, roles grow, revocation is final."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import select

from cairn.errors import InvalidInput, ProjectNotFound, TokenNotFound, Unauthorized
from cairn.store import tokens as access
from cairn.store.schema import tokens
from cairn.store.store import Store
from cairn.store.tokens import Principal, Role


def test_only_the_hash_is_stored(store: Store) -> None:
    new = store.create_token(user="alice", role="editor", project="mnist", description="laptop")
    assert new.secret.startswith("cairn_") and len(new.secret) > 40
    assert new.secret not in repr(new)  # never in a log line or a traceback
    with store.engine.connect() as conn:
        row = conn.execute(select(tokens)).one()
    assert new.secret not in [str(v) for v in row]
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    again = store.create_token(user="alice", role="editor", project="mnist")
    assert again.secret != new.secret


def test_a_token_for_a_new_project_creates_it(store: Store) -> None:
    store.create_token(user="bob", role="viewer", project="fresh")
    assert store.get_project("fresh").run_count == 0
    store.create_token(user="root", role="admin")  # server-wide: no project
    assert [p.name for p in store.list_projects()] == ["fresh"]


def test_authenticate_and_revoke(store: Store) -> None:
    new = store.create_token(user="alice", role="editor", project="mnist")
    wide = store.create_token(user="root", role="admin")
    assert store.authenticate(new.secret) == Principal(new.record.id, "alice", "mnist", Role.EDITOR)
    assert store.authenticate(wide.secret).project is None
    (listed, _) = store.list_tokens()
    assert listed.last_used_at is not None  # recorded, at most once a minute
    for bad in ("", "cairn_unknown", "Bearer x", "cairn_" + "a" * 500, "cairn_\x00"):
        with pytest.raises(Unauthorized):
            store.authenticate(bad)
    revoked = store.revoke_token(new.record.id)
    assert revoked.is_revoked
    with pytest.raises(Unauthorized, match="revoked"):
        store.authenticate(new.secret)
    assert store.revoke_token(new.record.id).revoked_at == revoked.revoked_at  # first time kept
    assert [t.user for t in store.list_tokens()] == ["root"]
    assert [t.user for t in store.list_tokens(include_revoked=True)] == ["alice", "root"]


def test_last_used_is_written_at_most_once_a_minute(store: Store) -> None:
    new = store.create_token(user="alice", role="viewer", project="mnist")
    store.authenticate(new.secret)
    first = store.list_tokens()[0].last_used_at
    store.authenticate(new.secret)
    assert store.list_tokens()[0].last_used_at == first
    with store.engine.begin() as conn:
        access.touch(conn, new.record.id, now=time.time() - 2 * access.TOUCH_EVERY_S)
    store.authenticate(new.secret)
    later = store.list_tokens()[0].last_used_at
    assert first is not None and later is not None and later >= first


def test_project_scoped_listing_and_revoking(store: Store) -> None:
    mnist = store.create_token(user="a", role="admin", project="mnist")
    cifar = store.create_token(user="b", role="admin", project="cifar")
    store.create_token(user="root", role="admin")
    assert [t.user for t in store.list_tokens(project="mnist")] == ["a"]
    with pytest.raises(TokenNotFound):
        store.revoke_token(cifar.record.id, project="mnist")
    with pytest.raises(TokenNotFound):
        store.revoke_token(999)
    with pytest.raises(ProjectNotFound):
        store.list_tokens(project="nope")
    assert store.revoke_token(mnist.record.id, project="mnist").is_revoked


@pytest.mark.parametrize(
    ("user", "role", "project"),
    [("", "viewer", "p"), ("  ", "viewer", "p"), ("a\nb", "viewer", "p"),
     ("x" * 257, "viewer", "p"), ("a", "owner", "p"), ("a", "viewer", "bad/name")],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_stored(
    store: Store, user: str, role: str, project: str
) -> None:
    with pytest.raises(InvalidInput):
        store.create_token(user=user, role=role, project=project)
    assert store.list_tokens(include_revoked=True) == []
    assert store.list_projects() == []


def test_roles_grow() -> None:
    assert Role.ADMIN.includes(Role.EDITOR) and Role.EDITOR.includes(Role.VIEWER)
    assert not Role.VIEWER.includes(Role.EDITOR)
    scoped = Principal(1, "a", "mnist", Role.EDITOR)
    assert scoped.can(Role.EDITOR, "mnist") and not scoped.can(Role.VIEWER, "cifar")
    assert scoped.can(Role.EDITOR) and not scoped.can(Role.ADMIN)
    assert Principal(2, "root", None, Role.VIEWER).can(Role.VIEWER, "anything")
