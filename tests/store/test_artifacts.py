"""The content-addressed artifact store on a real folder and on fsspec's memory filesystem."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec
import pytest

import cairn.store.artifacts as artifacts_module
from cairn.errors import ArtifactNotFound, IntegrityError, InvalidInput
from cairn.store.artifacts import ArtifactStore, StoredBlob

MiB = 1024 * 1024


@pytest.fixture(params=["local", "memory"])
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "local":
        yield ArtifactStore.open(str(tmp_path / "artifacts"))
        return
    store = ArtifactStore.open(f"memory://cairn-test-{uuid.uuid4().hex}")
    yield store
    if store.fs.exists(store.root):  # the memory filesystem outlives the test
        store.fs.rm(store.root, recursive=True)


def stored_keys(store: ArtifactStore) -> list[str]:
    """Every file under the store's root, temporaries included."""
    return sorted(store.fs.find(store.root))


def flip_first_byte(store: ArtifactStore, sha256: str) -> None:
    key = f"{store.root}/sha256/{sha256[:2]}/{sha256}"
    with store.fs.open(key, "rb") as fh:
        data = bytearray(fh.read())
    data[0] ^= 0xFF
    with store.fs.open(key, "wb") as fh:
        fh.write(bytes(data))


# -- opening -------------------------------------------------------------------------------


def test_open_creates_a_local_folder(tmp_path: Path) -> None:
    store = ArtifactStore.open(str(tmp_path / "a" / "b"))
    assert (tmp_path / "a" / "b").is_dir() and store.root == str(tmp_path / "a" / "b")


def test_the_constructor_only_assigns(tmp_path: Path) -> None:
    store = ArtifactStore(fsspec.filesystem("file"), str(tmp_path / "later") + "/")
    assert store.root == str(tmp_path / "later")
    assert not (tmp_path / "later").exists()


def test_open_refuses_an_empty_location() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        ArtifactStore.open("")


# -- writing and reading -------------------------------------------------------------------


def test_round_trip_and_dedup(artifacts: ArtifactStore) -> None:
    first = artifacts.put_bytes(b"weights")
    second = artifacts.put_bytes(b"weights")
    assert first == second == StoredBlob(hashlib.sha256(b"weights").hexdigest(), 7)
    assert artifacts.get_bytes(first.sha256) == b"weights" and artifacts.exists(first.sha256)
    sha = first.sha256
    assert stored_keys(artifacts) == [f"{artifacts.root}/sha256/{sha[:2]}/{sha}"]


def test_empty_bytes_are_a_blob_too(artifacts: ArtifactStore) -> None:
    blob = artifacts.put_bytes(b"")
    assert blob.size_bytes == 0 and artifacts.get_bytes(blob.sha256) == b""


def test_put_file_dedups_with_put_bytes_and_leaves_no_temporaries(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"same bytes")
    assert artifacts.put_file(str(source)) == artifacts.put_bytes(b"same bytes")
    assert artifacts.put_file(str(source)) == artifacts.put_bytes(b"same bytes")
    assert [k for k in stored_keys(artifacts) if "/sha256/" not in k] == []
    assert len(stored_keys(artifacts)) == 1


def test_a_blob_of_the_wrong_size_is_replaced(artifacts: ArtifactStore) -> None:
    blob = artifacts.put_bytes(b"complete checkpoint")
    key = f"{artifacts.root}/sha256/{blob.sha256[:2]}/{blob.sha256}"
    with artifacts.fs.open(key, "wb") as fh:
        fh.write(b"compl")  # a truncated leftover
    artifacts.put_bytes(b"complete checkpoint")
    assert artifacts.get_bytes(blob.sha256) == b"complete checkpoint"


def test_large_file_is_streamed_and_downloaded_verified(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(MiB) * 20
    source.write_bytes(data)
    blob = artifacts.put_file(str(source))
    assert blob == StoredBlob(hashlib.sha256(data).hexdigest(), len(data))
    target = artifacts.download(blob.sha256, str(tmp_path / "out" / "copy.bin"))
    assert target == str(tmp_path / "out" / "copy.bin")
    assert Path(target).read_bytes() == data


def test_upload_and_download_never_hold_the_whole_file_in_memory(tmp_path: Path) -> None:
    store = ArtifactStore.open(str(tmp_path / "artifacts"))
    source = tmp_path / "big.bin"
    with open(source, "wb") as fh:
        for _ in range(20):
            fh.write(os.urandom(MiB))
    tracemalloc.start()
    try:
        blob = store.put_file(str(source))
        store.download(blob.sha256, str(tmp_path / "copy.bin"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert blob.size_bytes == 20 * MiB
    assert peak < 4 * MiB  # a few 1 MiB blocks, not 20 MiB


def test_download_replaces_an_existing_file(artifacts: ArtifactStore, tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    dest.write_bytes(b"an older model")
    blob = artifacts.put_bytes(b"new")
    artifacts.download(blob.sha256, str(dest))
    assert dest.read_bytes() == b"new"


def test_download_into_a_folder_is_refused(artifacts: ArtifactStore, tmp_path: Path) -> None:
    blob = artifacts.put_bytes(b"x")
    with pytest.raises(InvalidInput, match="is a folder"):
        artifacts.download(blob.sha256, str(tmp_path))


def test_delete_is_idempotent(artifacts: ArtifactStore) -> None:
    blob = artifacts.put_bytes(b"old model")
    artifacts.delete(blob.sha256)
    artifacts.delete(blob.sha256)
    assert not artifacts.exists(blob.sha256)
    with pytest.raises(ArtifactNotFound):
        artifacts.get_bytes(blob.sha256)


# -- failures ------------------------------------------------------------------------------


def test_corruption_is_detected_and_leaves_no_partial_download(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    blob = artifacts.put_bytes(b"precious bytes")
    flip_first_byte(artifacts, blob.sha256)
    with pytest.raises(IntegrityError, match=f"artifact {blob.sha256} .* is corrupt"):
        artifacts.get_bytes(blob.sha256)
    with pytest.raises(IntegrityError, match="corrupt"):
        artifacts.download(blob.sha256, str(tmp_path / "copy"))
    assert [name for name in os.listdir(tmp_path) if name != "artifacts"] == []


def test_a_corrupt_download_keeps_the_previous_file(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    dest = tmp_path / "model.bin"
    dest.write_bytes(b"last good model")
    blob = artifacts.put_bytes(b"new model")
    flip_first_byte(artifacts, blob.sha256)
    with pytest.raises(IntegrityError):
        artifacts.download(blob.sha256, str(dest))
    assert dest.read_bytes() == b"last good model"


def test_missing_blobs(artifacts: ArtifactStore, tmp_path: Path) -> None:
    missing = "0" * 64
    assert not artifacts.exists(missing)
    with pytest.raises(ArtifactNotFound, match=f"artifact {missing} is missing"):
        artifacts.get_bytes(missing)
    with pytest.raises(ArtifactNotFound):
        artifacts.download(missing, str(tmp_path / "nothing"))
    assert not (tmp_path / "nothing").exists()
    artifacts.delete(missing)


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "A" * 64, "0" * 63, "0" * 65, "0" * 64 + "\n", "../" + "0" * 61, None],
)
def test_malformed_hashes_are_refused_before_touching_storage(
    artifacts: ArtifactStore, tmp_path: Path, bad: Any
) -> None:
    def refused() -> Any:
        return pytest.raises(InvalidInput, match="is not a SHA-256 digest")

    with refused():
        artifacts.get_bytes(bad)
    with refused():
        artifacts.exists(bad)
    with refused():
        artifacts.delete(bad)
    with refused():
        artifacts.download(bad, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_missing_source_file_is_refused(artifacts: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read file to store"):
        artifacts.put_file(str(tmp_path / "nope.bin"))
    assert [k for k in stored_keys(artifacts) if "/sha256/" in k] == []


def test_a_failed_upload_leaves_no_temporary_and_no_blob(
    artifacts: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"x" * 100)

    def broken_copy(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
        target.write(source.read(10))
        raise OSError("disk full")

    monkeypatch.setattr(artifacts_module, "_copy_hashing", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        artifacts.put_file(str(source))
    assert stored_keys(artifacts) == []
