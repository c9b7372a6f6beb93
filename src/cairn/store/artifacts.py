"""ArtifactStore: file bytes over fsspec, content-addressed by SHA-256 and verified on read.

A blob lives at ``<root>/sha256/<first two hex digits>/<64 hex digits>``. The key is the
hash of the bytes, so storing the same bytes twice stores them once (a retried upload
costs nothing), and every read checks the bytes against the key (a flipped bit on disk or
in a bucket is reported, never handed to the user as a model).

Writes go to a temporary name on the same filesystem and are then moved onto the key, so
a crash mid-write never leaves half a blob under a valid key:

- ``put_bytes`` knows the hash first and writes its temporary file next to the key;
- ``put_file`` learns the hash only at the end of the stream, so it writes under
  ``<root>/tmp/`` and moves the file into place afterwards.

On a local folder the move is a rename (atomic); on object stores such as S3 it is a
copy, which is still all-or-nothing per object.

Memory stays bounded by a few blocks whatever the blob's size: files are opened with an
explicit ``block_size`` because s3fs would otherwise buffer 50 MiB per read and per
written part. Object stores are configured the way their libraries are, never by Cairn:
for S3, ``AWS_ENDPOINT_URL`` (any S3-compatible store), ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_PROFILE``, or fsspec's own
``FSSPEC_S3_<OPTION>`` variables (``FSSPEC_S3_ENDPOINT_URL``).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from cairn.errors import ArtifactNotFound, IntegrityError, InvalidInput

__all__ = ["ArtifactStore", "StoredBlob"]

BLOCK_BYTES = 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024
"""S3's smallest multipart part; parts grow with the file so that it fits in S3's
10,000 parts (5 MiB parts would cap a file at 48 GiB)."""
_MAX_PARTS = 9_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    """What storing bytes produced: their SHA-256 (hex, the blob's key) and their size."""

    sha256: str
    size_bytes: int


class ArtifactStore:
    """Blobs under ``<root>/sha256/<ab>/<hex>``; identical content is stored once.

    >>> store = ArtifactStore.open("memory://doctest-artifacts")
    >>> blob = store.put_bytes(b"hello")
    >>> blob.sha256[:12], blob.size_bytes
    ('2cf24dba5fb0', 5)
    >>> store.get_bytes(blob.sha256)
    b'hello'
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")

    @classmethod
    def open(cls, url: str) -> ArtifactStore:
        """An artifact store at a local folder (created if missing) or any fsspec URL, such
        as ``s3://bucket/prefix`` (the filesystem's package must be installed).

        Raises InvalidInput for an empty location; fsspec's own errors for an unknown
        protocol or a missing filesystem package.

        >>> ArtifactStore.open("memory://doctest-open").root
        '/doctest-open'
        """
        if not url:
            raise InvalidInput("the artifact store location is empty; give a folder or URL")
        fs, root = url_to_fs(url)
        if isinstance(fs, LocalFileSystem):
            # Object stores have no folders to create; a local root must exist to be used.
            os.makedirs(root, exist_ok=True)
        return cls(fs, root)

    # -- writes --------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` and return its key; storing the same bytes again writes nothing.

        >>> store = ArtifactStore.open("memory://doctest-put-bytes")
        >>> store.put_bytes(b"weights") == store.put_bytes(b"weights")
        True
        """
        blob = StoredBlob(hashlib.sha256(data).hexdigest(), len(data))
        key = self._key(blob.sha256)
        if self._holds(key, blob.size_bytes):
            return blob
        folder = key.rsplit("/", 1)[0]
        self.fs.makedirs(folder, exist_ok=True)
        with self._temporary(f"{folder}/.{blob.sha256}.{uuid.uuid4().hex}.tmp") as temp:
            with self.fs.open(temp, "wb") as target:
                target.write(data)
            self.fs.mv(temp, key)
        return blob

    def put_file(self, path: str) -> StoredBlob:
        """Store a local file, streamed in 1 MiB blocks and hashed on the way, so a file
        larger than memory can be stored. Raises InvalidInput when ``path`` is not a
        readable file.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "model.ckpt")
        >>> with open(path, "wb") as fh:
        ...     _ = fh.write(b"checkpoint")
        >>> ArtifactStore.open("memory://doctest-put-file").put_file(path).size_bytes
        10
        """
        folder = f"{self.root}/tmp"
        self.fs.makedirs(folder, exist_ok=True)
        try:
            source = open(path, "rb")
        except OSError as exc:
            raise InvalidInput(f"cannot read file to store {path!r}: {exc.strerror}") from exc
        part_bytes = max(MIN_PART_BYTES, -(-os.fstat(source.fileno()).st_size // _MAX_PARTS))
        with source, self._temporary(f"{folder}/{uuid.uuid4().hex}.tmp") as temp:
            with self.fs.open(temp, "wb", block_size=part_bytes) as target:
                sha256, size = _copy_hashing(source, target)
            blob = StoredBlob(sha256, size)
            key = self._key(blob.sha256)
            if not self._holds(key, size):
                self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
                self.fs.mv(temp, key)
        return blob

    def delete(self, sha256: str) -> None:
        """Remove a blob; removing one that is not there is not an error (deletes are
        retried). Raises InvalidInput for a malformed hash.

        >>> store = ArtifactStore.open("memory://doctest-delete")
        >>> blob = store.put_bytes(b"old")
        >>> store.delete(blob.sha256); store.exists(blob.sha256)
        False
        """
        try:
            self.fs.rm(self._key(sha256))
        except FileNotFoundError:
            pass  # already gone: the caller wanted it gone

    # -- reads ---------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored. Raises InvalidInput for a malformed hash.

        >>> ArtifactStore.open("memory://doctest-exists").exists("0" * 64)
        False
        """
        return bool(self.fs.exists(self._key(sha256)))

    def size(self, sha256: str) -> int:
        """The stored blob's size in bytes. Raises ArtifactNotFound, InvalidInput."""
        key = self._key(sha256)
        try:
            return int(self.fs.size(key))
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {sha256} is missing from {self.root}") from exc

    def get_bytes(self, sha256: str) -> bytes:
        """A blob's bytes, checked against its hash.

        Raises InvalidInput for a malformed hash, ArtifactNotFound when the blob is missing,
        IntegrityError when the stored bytes are corrupt.

        >>> store = ArtifactStore.open("memory://doctest-get")
        >>> store.get_bytes(store.put_bytes(b"abc").sha256)
        b'abc'
        """
        with self.open_blob(sha256) as source:
            data: bytes = source.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise self._corrupt(sha256)
        return data

    def download(self, sha256: str, dest: str) -> str:
        """Stream a blob to the local file path ``dest`` (its folder is created), checking
        the hash on the way; returns ``dest``. The bytes go to a temporary file beside
        ``dest`` that is renamed only once verified, so a failed download leaves no file.

        Raises InvalidInput for a malformed hash or when ``dest`` is a folder,
        ArtifactNotFound when the blob is missing, IntegrityError when it is corrupt.

        >>> import os, tempfile
        >>> store = ArtifactStore.open("memory://doctest-download")
        >>> blob = store.put_bytes(b"model")
        >>> path = store.download(blob.sha256, os.path.join(tempfile.mkdtemp(), "model.bin"))
        >>> with open(path, "rb") as fh:
        ...     fh.read()
        b'model'
        """
        if os.path.isdir(dest):
            raise InvalidInput(f"download destination {dest!r} is a folder; give a file path")
        folder, name = os.path.split(os.path.abspath(dest))
        os.makedirs(folder, exist_ok=True)
        temp = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.part")
        try:
            with self.open_blob(sha256) as source, open(temp, "wb") as target:
                digest, _ = _copy_hashing(source, target)
            if digest != sha256:
                raise self._corrupt(sha256)
            os.replace(temp, dest)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return dest

    # -- helpers -------------------------------------------------------------------------

    def _key(self, sha256: str) -> str:
        # The hash becomes part of a path: anything but 64 lowercase hex digits could
        # climb out of the store ("../../etc/passwd") or alias another blob.
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise InvalidInput(f"{sha256!r} is not a SHA-256 digest (64 lowercase hex digits)")
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def _holds(self, key: str, size: int) -> bool:
        # A blob of the wrong size is a leftover of something broken: overwrite it.
        try:
            return bool(self.fs.size(key) == size)
        except FileNotFoundError:
            return False

    @contextmanager
    def open_blob(self, sha256: str) -> Iterator[IO[bytes]]:
        """The stored bytes as a file to stream from; the caller verifies the hash as it
        reads (see ``download``). Raises ArtifactNotFound, InvalidInput."""
        key = self._key(sha256)
        try:
            source = self.fs.open(key, "rb", block_size=BLOCK_BYTES)
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {sha256} is missing from {self.root}") from exc
        with source:
            yield source

    @contextmanager
    def _temporary(self, temp: str) -> Iterator[str]:
        """Yield a temporary key that is removed afterwards unless it was moved away."""
        try:
            yield temp
        finally:
            if self.fs.exists(temp):
                self.fs.rm(temp)

    def _corrupt(self, sha256: str) -> IntegrityError:
        return IntegrityError(
            f"artifact {sha256} in {self.root} is corrupt: its bytes no longer match "
            "their SHA-256; restore it from a copy or upload the file again"
        )


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    """Copy in blocks of ``BLOCK_BYTES``; return the SHA-256 (hex) and size of the bytes."""
    digest = hashlib.sha256()
    size = 0
    while block := source.read(BLOCK_BYTES):
        digest.update(block)
        target.write(block)
        size += len(block)
    return digest.hexdigest(), size
