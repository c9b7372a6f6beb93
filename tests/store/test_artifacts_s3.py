"""The artifact store on S3: a local S3-compatible server (moto) on loopback, reached
through s3fs with nothing but the standard AWS variables (or fsspec's own)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from tests.conftest import s3_environment

from cairn.errors import ArtifactNotFound, IntegrityError, InvalidInput
from cairn.file import File
from cairn.ops import UploadOp
from cairn.store.artifacts import ArtifactStore
from cairn.store.store import Store
from cairn.types import FieldPath

MiB = 1024 * 1024


@pytest.fixture
def artifacts(s3_url: str) -> ArtifactStore:
    return ArtifactStore.open(s3_url)


def _key(store: ArtifactStore, sha256: str) -> str:
    return f"{store.root}/sha256/{sha256[:2]}/{sha256}"


def test_round_trip_dedup_and_delete(artifacts: ArtifactStore) -> None:
    blob = artifacts.put_bytes(b"weights")
    assert artifacts.put_bytes(b"weights") == blob
    assert blob.sha256 == hashlib.sha256(b"weights").hexdigest()
    assert artifacts.exists(blob.sha256) and artifacts.size(blob.sha256) == 7
    assert artifacts.get_bytes(blob.sha256) == b"weights"
    assert artifacts.fs.find(artifacts.root) == [_key(artifacts, blob.sha256)]
    artifacts.delete(blob.sha256)
    artifacts.delete(blob.sha256)
    assert not artifacts.exists(blob.sha256)
    with pytest.raises(ArtifactNotFound, match="is missing"):
        artifacts.get_bytes(blob.sha256)


def test_a_large_file_goes_up_and_down_in_bounded_memory(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    # s3fs buffers 50 MiB per part and per read unless told otherwise: the store asks for
    # small blocks, so neither direction holds the file (32 MiB) in memory.
    source = tmp_path / "model.ckpt"
    digest = hashlib.sha256()
    with open(source, "wb") as fh:
        for _ in range(32):
            block = os.urandom(MiB)
            digest.update(block)
            fh.write(block)
    tracemalloc.start()
    try:
        blob = artifacts.put_file(str(source))
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        artifacts.download(blob.sha256, str(tmp_path / "copy.ckpt"))
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert blob.sha256 == digest.hexdigest() and blob.size_bytes == 32 * MiB
    assert (tmp_path / "copy.ckpt").read_bytes() == source.read_bytes()
    assert upload_peak < 24 * MiB, upload_peak  # a few 5 MiB parts
    assert download_peak < 12 * MiB, download_peak  # a few 1 MiB blocks
    # The multipart temporary was moved onto the key: nothing else is left in the bucket.
    assert artifacts.fs.find(artifacts.root) == [_key(artifacts, blob.sha256)]


def test_corruption_in_the_bucket_is_detected(artifacts: ArtifactStore, tmp_path: Path) -> None:
    blob = artifacts.put_bytes(b"precious bytes")
    artifacts.fs.pipe(_key(artifacts, blob.sha256), b"Precious bytes")
    with pytest.raises(IntegrityError, match="corrupt"):
        artifacts.get_bytes(blob.sha256)
    with pytest.raises(IntegrityError, match="corrupt"):
        artifacts.download(blob.sha256, str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()
    # A truncated leftover under the key is replaced by the next upload of the bytes.
    artifacts.fs.pipe(_key(artifacts, blob.sha256), b"prec")
    artifacts.put_bytes(b"precious bytes")
    assert artifacts.get_bytes(blob.sha256) == b"precious bytes"


def test_malformed_hashes_never_reach_the_bucket(artifacts: ArtifactStore) -> None:
    for bad in ("../../etc/passwd", "0" * 63, "A" * 64):
        with pytest.raises(InvalidInput, match="not a SHA-256 digest"):
            artifacts.exists(bad)
    assert artifacts.fs.find(artifacts.root) == []


def test_a_store_logs_files_to_s3(s3_url: str, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'cairn.db'}", artifacts_url=s3_url)
    try:
        run = store.create_run("p")
        store.apply_ops(
            run.id, [UploadOp(FieldPath("model"), File.from_bytes(b"w" * 1000, name="m.pt"))]
        )
        record = store.get_file(run.id, "model")
        assert store.artifacts.get_bytes(record.sha256) == b"w" * 1000
        assert store.artifacts.root == s3_url.removeprefix("s3://")
    finally:
        store.close()


_FSSPEC_ONLY = """
import sys
from cairn.store.artifacts import ArtifactStore
store = ArtifactStore.open(sys.argv[1])
print(store.get_bytes(store.put_bytes(b"configured by fsspec").sha256).decode())
"""


def test_the_endpoint_can_come_from_fsspec_variables(s3_url: str, s3_endpoint: str) -> None:
    # fsspec reads FSSPEC_S3_<OPTION> when it is imported, hence a fresh process.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPEC_"))}
    env.update(s3_environment(s3_endpoint))
    del env["AWS_ENDPOINT_URL"]
    env["FSSPEC_S3_ENDPOINT_URL"] = s3_endpoint
    done = subprocess.run(
        [sys.executable, "-c", _FSSPEC_ONLY, s3_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "configured by fsspec"
