"""ArtifactStore: file bytes over fsspec, content-addressed by SHA-256 and verified on read."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass

import fsspec
from fsspec.core import url_to_fs

from cairn.errors import ArtifactNotFound, IntegrityError, InvalidInput

__all__ = ["ArtifactStore", "StoredBlob"]

_BLOCK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size_bytes: int


class ArtifactStore:
    """Blobs under ``<root>/sha256/<ab>/<hex>``; identical content is stored once.

    >>> store = ArtifactStore.open("memory://doctest-artifacts")
    >>> blob = store.put_bytes(b"hello")
    >>> store.get_bytes(blob.sha256)
    b'hello'
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")

    @classmethod
    def open(cls, url: str) -> ArtifactStore:
        """An artifact store at a local folder or any fsspec URL (``s3://bucket/prefix``)."""
        fs, root = url_to_fs(url)
        if fs.protocol in ("file", ("file", "local")) or "file" in fs.protocol:
            os.makedirs(root, exist_ok=True)
        return cls(fs, root)

    def _key(self, sha256: str) -> str:
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise InvalidInput(f"{sha256!r} is not a SHA-256 hex digest")
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def _commit(self, temp: str, key: str, size: int) -> None:
        if self.fs.exists(key) and self.fs.size(key) == size:
            self.fs.rm(temp)
            return
        self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
        self.fs.mv(temp, key)

    def _temp(self) -> str:
        folder = f"{self.root}/tmp"
        self.fs.makedirs(folder, exist_ok=True)
        return f"{folder}/{uuid.uuid4().hex}"

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data``; written under a temporary name and moved, so never half a blob."""
        digest = hashlib.sha256(data).hexdigest()
        key = self._key(digest)
        if self.fs.exists(key) and self.fs.size(key) == len(data):
            return StoredBlob(digest, len(data))
        temp = self._temp()
        with self.fs.open(temp, "wb") as fh:
            fh.write(data)
        self._commit(temp, key, len(data))
        return StoredBlob(digest, len(data))

    def put_file(self, path: str) -> StoredBlob:
        """Store a local file, streamed in 1 MiB blocks and hashed on the way."""
        digest = hashlib.sha256()
        size = 0
        temp = self._temp()
        with open(path, "rb") as source, self.fs.open(temp, "wb") as target:
            while block := source.read(_BLOCK):
                digest.update(block)
                target.write(block)
                size += len(block)
        hexdigest = digest.hexdigest()
        self._commit(temp, self._key(hexdigest), size)
        return StoredBlob(hexdigest, size)

    def exists(self, sha256: str) -> bool:
        return bool(self.fs.exists(self._key(sha256)))

    def get_bytes(self, sha256: str) -> bytes:
        """The blob's bytes. Raises ArtifactNotFound, IntegrityError (stored bytes corrupt)."""
        key = self._key(sha256)
        try:
            with self.fs.open(key, "rb") as fh:
                data: bytes = fh.read()
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {sha256} is missing from {self.root}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(f"artifact {sha256} in {self.root} is corrupt (checksum differs)")
        return data

    def download(self, sha256: str, destination: str) -> str:
        """Stream the blob to ``destination`` (a file path), verifying its checksum; a failed
        download leaves no file behind. Raises ArtifactNotFound, IntegrityError."""
        key = self._key(sha256)
        digest = hashlib.sha256()
        folder = os.path.dirname(os.path.abspath(destination))
        os.makedirs(folder, exist_ok=True)
        temp = os.path.join(folder, f".{os.path.basename(destination)}.{uuid.uuid4().hex}.part")
        try:
            with self.fs.open(key, "rb") as source, open(temp, "wb") as target:
                while block := source.read(_BLOCK):
                    digest.update(block)
                    target.write(block)
            if digest.hexdigest() != sha256:
                raise IntegrityError(f"artifact {sha256} is corrupt (checksum differs)")
            os.replace(temp, destination)
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {sha256} is missing from {self.root}") from exc
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return destination

    def delete(self, sha256: str) -> None:
        key = self._key(sha256)
        if self.fs.exists(key):
            self.fs.rm(key)
