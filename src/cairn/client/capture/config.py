"""Turn a training config, whatever library built it, into flat ``"a/b/c" -> value`` fields."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from cairn.errors import UnsupportedValue

__all__ = ["flatten_config"]

_SCALARS = (bool, int, float, str, type(None))
_SUPPORTED = (
    "a dict, argparse.Namespace, dataclass, pydantic model, OmegaConf config, "
    "click Context or an object with attributes"
)


def flatten_config(config: object) -> dict[str, object]:
    """Flatten ``config`` into ``{"a/b/c": leaf}``; leaves are numbers, bools, strings, None,
    datetimes, lists or tuples (lists may hold JSON-able dicts).

    Accepts nested dicts, argparse.Namespace, dataclass instances, pydantic models (v1 and
    v2), OmegaConf configs, click Contexts (their ``params``) and any object with a
    ``__dict__`` (its public attributes). Enums become their value, paths and numpy scalars
    become str and Python numbers, empty dicts are dropped. A key holding ``/`` becomes
    several segments.

    Raises UnsupportedValue naming the key for an empty key, a value of another type, a
    cycle, or two keys that flatten to the same path; and for an unsupported ``config``.

    >>> flatten_config({"optimizer": {"lr": 0.1, "betas": [0.9, 0.99]}, "seed": 3})
    {'optimizer/lr': 0.1, 'optimizer/betas': [0.9, 0.99], 'seed': 3}
    """
    mapping = _as_mapping(config, top_level=True)
    if mapping is None:
        raise UnsupportedValue(
            f"cannot read a config from a {type(config).__name__}; pass {_SUPPORTED}"
        )
    flat: dict[str, object] = {}
    for path, leaf in _walk(mapping, "", set()):
        if path in flat:
            raise UnsupportedValue(f"config key {path!r} appears twice after flattening")
        flat[path] = leaf
    _check_prefixes(flat)
    return flat


def _as_mapping(value: object, *, top_level: bool) -> Mapping[Any, Any] | None:
    """``value`` as a mapping when it is config-like, else None."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, argparse.Namespace):
        return vars(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Not dataclasses.asdict: it deep-copies every value, and nested ones recurse here.
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    # Library types are checked through sys.modules: an object of theirs can only exist once
    # the library is imported, and this way flattening never imports anything.
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(value, omegaconf.DictConfig):
        container = omegaconf.OmegaConf.to_container(value, resolve=True)
        return container if isinstance(container, Mapping) else None
    click = sys.modules.get("click")
    if click is not None and isinstance(value, click.Context):
        return dict(value.params)
    dumped = _pydantic_dump(value)
    if dumped is not None:
        return dumped
    if top_level and not isinstance(value, type) and hasattr(value, "__dict__"):
        # Arbitrary objects are read only at the top: deeper down they are more likely a
        # model or a tensor than a config, and walking them could be huge or cyclic.
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return None


def _pydantic_dump(value: object) -> Mapping[Any, Any] | None:
    if isinstance(value, type):
        return None
    model_dump = getattr(value, "model_dump", None)  # pydantic v2
    if callable(model_dump):
        dumped = model_dump()
        return dumped if isinstance(dumped, Mapping) else None
    if hasattr(value, "__fields__") and callable(getattr(value, "dict", None)):  # pydantic v1
        dumped = value.dict()  # type: ignore[attr-defined]
        return dumped if isinstance(dumped, Mapping) else None
    return None


def _key(prefix: str, key: object) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise UnsupportedValue(
            f"config key {key!r} under {prefix or 'the top level'!r} is a {type(key).__name__}; "
            "keys must be strings"
        )
    text = str(key)
    if not text.strip() or any(not part.strip() for part in text.split("/")):
        where = f"under {prefix!r}" if prefix else "at the top level"
        raise UnsupportedValue(
            f"config key {text!r} {where} is empty or has an empty '/' segment; rename it"
        )
    return f"{prefix}/{text}" if prefix else text


def _walk(
    mapping: Mapping[Any, Any], prefix: str, active: set[int]
) -> Iterator[tuple[str, object]]:
    if id(mapping) in active:
        raise UnsupportedValue(f"config under {prefix!r} contains itself")
    active.add(id(mapping))
    for key, value in mapping.items():
        path = _key(prefix, key)
        nested = _as_mapping(value, top_level=False)
        if nested is not None:
            yield from _walk(nested, path, active)
        else:
            yield path, _leaf(path, value, active)
    active.discard(id(mapping))


def _leaf(path: str, value: object, active: set[int]) -> object:
    if isinstance(value, (*_SCALARS, dt.datetime, dt.date, dt.time)):
        return value
    if isinstance(value, list):
        return [_json(path, item, active) for item in value]
    if isinstance(value, tuple):
        return tuple(_json(path, item, active) for item in value)
    return _json(path, value, active)


def _json(path: str, value: object, active: set[int]) -> object:
    """``value`` as a JSON-able structure (dicts, lists and scalars)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, enum.Enum):
        return _json(path, value.value, active)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item):
        return _json(path, item(), active)  # a numpy scalar: store the plain Python number
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(value, omegaconf.ListConfig):
        value = omegaconf.OmegaConf.to_container(value, resolve=True)
    if isinstance(value, (set, frozenset)):
        try:
            value = sorted(value)
        except TypeError:
            value = sorted(value, key=repr)  # mixed types have no order; repr gives a stable one
    if isinstance(value, (list, tuple)):
        return [_json(path, v, active) for v in value]
    nested = _as_mapping(value, top_level=False)
    if nested is not None:
        if id(nested) in active:
            raise UnsupportedValue(f"config under {path!r} contains itself")
        active.add(id(nested))
        try:
            return {_json_key(path, k): _json(path, v, active) for k, v in nested.items()}
        finally:
            active.discard(id(nested))
    raise UnsupportedValue(
        f"config value at {path!r} is a {type(value).__name__}, which cannot be stored; "
        "use a number, string, bool, None, list or dict"
    )


def _json_key(path: str, key: object) -> str:
    # Inside a list the dict is stored whole as JSON, so "/" needs no special meaning here.
    if isinstance(key, bool) or not isinstance(key, (str, int)) or str(key) == "":
        raise UnsupportedValue(
            f"config value at {path!r} holds a dict with key {key!r}; "
            "keys must be non-empty strings"
        )
    return str(key)


def _check_prefixes(flat: Mapping[str, object]) -> None:
    """A path cannot be a value and a folder of values at once (``a`` and ``a/b``)."""
    for path in flat:
        parts = path.split("/")
        for end in range(1, len(parts)):
            prefix = "/".join(parts[:end])
            if prefix in flat:
                raise UnsupportedValue(
                    f"config key {prefix!r} holds a value and also nested keys ({path!r})"
                )
