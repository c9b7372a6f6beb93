"""``cairn.File``: bytes to be stored in the artifact store, from a path, raw bytes or an image."""

from __future__ import annotations

import io
import mimetypes
import os
from dataclasses import dataclass
from typing import Any

from cairn.errors import UnsupportedValue

__all__ = ["File"]

_EAGER_READ_BYTES = 16 * 1024 * 1024
"""Files up to this size are read when logged, so that the caller may delete or overwrite
them at once; larger ones are read by the sender thread, off the training loop."""


@dataclass(frozen=True)
class File:
    """A file to store: either ``data`` in memory or a ``source`` path on disk.

    >>> f = File.from_bytes(b"hello", name="greeting.txt")
    >>> f.read()
    b'hello'
    """

    name: str
    mime: str
    data: bytes | None = None
    source: str | None = None
    sha256: str | None = None
    """Set when the bytes are already in the artifact store (sent ahead by an HTTP client)."""
    size_bytes: int | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> File:
        """A file on disk; raises UnsupportedValue if it does not exist or is a folder."""
        source = os.fspath(path)
        if not os.path.isfile(source):
            raise UnsupportedValue(f"{source!r} is not a file; pass the path of an existing file")
        name = os.path.basename(source)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if os.path.getsize(source) <= _EAGER_READ_BYTES:
            with open(source, "rb") as fh:
                return cls(name=name, mime=mime, data=fh.read())
        return cls(name=name, mime=mime, source=os.path.abspath(source))

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "file.bin", mime: str | None = None) -> File:
        """Bytes in memory."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise UnsupportedValue(f"File.from_bytes needs bytes, got {type(data).__name__}")
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(name=name, mime=mime or guessed, data=bytes(data))

    @classmethod
    def as_image(cls, image: Any, *, name: str = "image.png") -> File:
        """A PNG from a numpy array (HxW or HxWxC, floats in [0, 1] or uint8), a PIL image or a
        matplotlib figure. Needs ``cairn[images]`` (Pillow) for arrays.

        >>> import numpy as np
        >>> File.as_image(np.zeros((4, 4))).mime
        'image/png'
        """
        if hasattr(image, "savefig"):
            buffer = io.BytesIO()
            image.savefig(buffer, format="png", bbox_inches="tight")
            return cls(name=name, mime="image/png", data=buffer.getvalue())
        if hasattr(image, "save") and hasattr(image, "mode"):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            return cls(name=name, mime="image/png", data=buffer.getvalue())
        try:
            import numpy as np
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UnsupportedValue(
                "File.as_image needs Pillow for arrays: pip install 'cairn[images]'"
            ) from exc
        array = np.asarray(image)
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise UnsupportedValue(
                f"File.as_image needs an HxW or HxWx(1|3|4) array, got shape {array.shape}"
            )
        if array.dtype != np.uint8:
            array = (np.clip(np.nan_to_num(array.astype(float)), 0.0, 1.0) * 255).astype(np.uint8)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="PNG")
        return cls(name=name, mime="image/png", data=buffer.getvalue())

    @classmethod
    def as_html(cls, figure: Any, *, name: str = "chart.html") -> File:
        """An HTML page from a string or an object with ``to_html()`` (plotly, pandas)."""
        html = figure if isinstance(figure, str) else figure.to_html()
        return cls(name=name, mime="text/html", data=html.encode("utf-8"))

    @classmethod
    def stored(cls, sha256: str, size_bytes: int, *, name: str, mime: str) -> File:
        """A reference to bytes already in the artifact store."""
        return cls(name=name, mime=mime, sha256=sha256, size_bytes=size_bytes)

    def read(self) -> bytes:
        """The file's bytes (read from ``source`` when not held in memory)."""
        if self.data is not None:
            return self.data
        if self.source is None:
            raise UnsupportedValue(f"{self.name}: this file is a reference to stored bytes")
        with open(self.source, "rb") as fh:
            return fh.read()
