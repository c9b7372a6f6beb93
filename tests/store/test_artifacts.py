"""The content-addressed artifact store on a real folder and on fsspec's memory filesystem."""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import pytest

from cairn.errors import ArtifactNotFound, IntegrityError, InvalidInput
from cairn.store.artifacts import ArtifactStore


@pytest.fixture(params=["local", "memory"])
def artifacts(request: pytest.FixtureRequest, tmp_path: Any) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore.open(str(tmp_path / "artifacts"))
    return ArtifactStore.open(f"memory://cairn-test-{uuid.uuid4().hex}")


def test_round_trip_and_dedup(artifacts: ArtifactStore) -> None:
    first = artifacts.put_bytes(b"weights")
    second = artifacts.put_bytes(b"weights")
    assert first == second and first.sha256 == hashlib.sha256(b"weights").hexdigest()
    assert artifacts.get_bytes(first.sha256) == b"weights" and artifacts.exists(first.sha256)
    assert len(artifacts.fs.find(f"{artifacts.root}/sha256")) == 1


def test_large_file_is_streamed_and_downloaded_verified(
    artifacts: ArtifactStore, tmp_path: Any
) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(1024 * 1024) * 20
    source.write_bytes(data)
    blob = artifacts.put_file(str(source))
    assert blob.size_bytes == len(data) and blob.sha256 == hashlib.sha256(data).hexdigest()
    target = artifacts.download(blob.sha256, str(tmp_path / "out" / "copy.bin"))
    with open(target, "rb") as fh:
        assert fh.read() == data


def test_corruption_is_detected_and_leaves_no_partial_download(tmp_path: Any) -> None:
    artifacts = ArtifactStore.open(str(tmp_path / "artifacts"))
    blob = artifacts.put_bytes(b"precious bytes")
    stored = artifacts._key(blob.sha256)
    with open(stored, "r+b") as fh:
        fh.write(b"X")
    with pytest.raises(IntegrityError, match="corrupt"):
        artifacts.get_bytes(blob.sha256)
    with pytest.raises(IntegrityError):
        artifacts.download(blob.sha256, str(tmp_path / "copy"))
    assert not os.path.exists(tmp_path / "copy")
    assert [p for p in os.listdir(tmp_path) if p.endswith(".part")] == []


def test_missing_and_traversal(artifacts: ArtifactStore, tmp_path: Any) -> None:
    with pytest.raises(ArtifactNotFound):
        artifacts.get_bytes("0" * 64)
    with pytest.raises(ArtifactNotFound):
        artifacts.download("0" * 64, str(tmp_path / "nothing"))
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(InvalidInput):
            artifacts.get_bytes(bad)
