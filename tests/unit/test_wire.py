"""Ops survive the trip through JSON; malformed JSON is refused with InvalidInput only."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.errors import InvalidInput
from cairn.file import File
from cairn.ops import (
    AddTagsOp,
    AppendOp,
    DeleteOp,
    HeartbeatOp,
    Op,
    RemoveTagsOp,
    SetOp,
    StatusOp,
    TrackFilesOp,
    UploadOp,
)
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind
from cairn.wire import decode_ops, encode_ops

SHA = "a" * 64
REF = File.stored(SHA, 3, name="m.pt", mime="application/octet-stream")


def round_trip(ops: list[Op]) -> list[Op]:
    return decode_ops(json.loads(json.dumps(encode_ops(ops))))


def test_every_op_type_round_trips() -> None:
    p = FieldPath
    ops: list[Op] = [
        SetOp(p("a"), FieldKind.FLOAT, 0.5, seq=1),
        SetOp(p("b"), FieldKind.INT, 3, seq=2),
        SetOp(p("c"), FieldKind.BOOL, False, seq=3),
        SetOp(p("d"), FieldKind.STRING, "adam", seq=4),
        SetOp(p("e"), FieldKind.JSON, "[1, 2]", seq=5),
        AppendOp(p("x"), SeriesKind.FLOAT, [0.0, 1.0], [0.25, -1.0], [10.0, 11.0], seq=6),
        AppendOp(p("log"), SeriesKind.STRING, [0.0], ["hi"], [10.0], seq=7),
        AppendOp(p("img"), SeriesKind.FILE, [4.0], [REF], [10.0], seq=8),
        AddTagsOp(("a", "b"), seq=9),
        RemoveTagsOp(("a",), seq=10),
        UploadOp(p("model"), REF, seq=11),
        TrackFilesOp(
            p("data"),
            hash="h",
            size_bytes=5,
            file_count=1,
            location="/d",
            files=(("a.csv", 5, "h"),),
            seq=12,
        ),
        StatusOp(RunStatus.FAILED, at=5.0, traceback="boom", seq=13),
        HeartbeatOp(at=6.0, seq=14),
        DeleteOp(p("a"), seq=15),
    ]
    assert round_trip(ops) == ops


def test_non_finite_floats_survive() -> None:
    ops: list[Op] = [
        SetOp(FieldPath("f"), FieldKind.FLOAT, math.inf),
        AppendOp(FieldPath("x"), SeriesKind.FLOAT, [0.0, 1.0], [math.nan, -math.inf], [1.0, 2.0]),
    ]
    back = round_trip(ops)
    assert back[0].value == math.inf  # type: ignore[union-attr]
    values = back[1].values  # type: ignore[union-attr]
    assert math.isnan(values[0]) and values[1] == -math.inf


def test_files_with_bytes_are_stored_first() -> None:
    stored: list[File] = []

    def store_file(file: File) -> File:
        stored.append(file)
        return File.stored(SHA, len(file.read()), name=file.name, mime=file.mime)

    op = UploadOp(FieldPath("m"), File.from_bytes(b"abc", name="m.bin"))
    encoded = encode_ops([op], store_file=store_file)
    assert encoded[0]["file"]["sha256"] == SHA and stored[0].data == b"abc"
    with pytest.raises(InvalidInput, match="upload the file"):
        encode_ops([op])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"ops": []}, "expected a list"),
        ([42], r"ops\[0\]: expected an object"),
        ([{"type": "teleport"}], "unknown op type"),
        ([{"type": "set", "path": "a//b", "kind": "float", "value": 1}], r"ops\[0\].path"),
        ([{"type": "set", "path": "a", "kind": "float", "value": "fast"}], "expected a number"),
        ([{"type": "set", "path": "a", "kind": "colour", "value": 1}], "not one of"),
        ([{"type": "set", "path": "a", "kind": "int", "value": True}], "wrong type"),
        ([{"type": "heartbeat", "at": 1, "seq": -1}], "non-negative"),
        (
            [
                {
                    "type": "append",
                    "path": "x",
                    "kind": "float",
                    "steps_f64": "!!",
                    "values_f64": "",
                    "timestamps_f64": "",
                }
            ],
            "not base64",
        ),
        (
            [
                {
                    "type": "append",
                    "path": "x",
                    "kind": "float",
                    "steps_f64": "AAAAAAAAAAA=",
                    "values_f64": "",
                    "timestamps_f64": "",
                }
            ],
            "differ in length",
        ),
        (
            [
                {
                    "type": "upload",
                    "path": "m",
                    "file": {
                        "sha256": "../../etc/passwd",
                        "size_bytes": 1,
                        "name": "x",
                        "mime": "y",
                    },
                }
            ],
            "SHA-256",
        ),
        ([{"type": "status", "status": "exploded", "at": 1}], "not one of"),
        ([{"type": "add_tags", "tags": [""]}], "non-empty"),
        (
            [
                {
                    "type": "track_files",
                    "path": "d",
                    "hash": "h",
                    "size_bytes": 1,
                    "file_count": 1,
                    "location": "/d",
                    "files": [[1]],
                }
            ],
            r"files\[0\]: expected \[path, size, sha256\]",
        ),
    ],
)
def test_malformed_ops_name_what_is_wrong(payload: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode_ops(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "path",
                    "kind",
                    "value",
                    "seq",
                    "at",
                    "tags",
                    "steps_f64",
                    "values_f64",
                    "timestamps_f64",
                    "file",
                    "values",
                    "status",
                    "sha256",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)
op_types = st.sampled_from(
    [
        "set",
        "append",
        "add_tags",
        "remove_tags",
        "upload",
        "track_files",
        "status",
        "heartbeat",
        "delete",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"type": op_types},
            optional={
                "path": json_values,
                "kind": json_values,
                "value": json_values,
                "seq": json_values,
                "at": json_values,
                "tags": json_values,
                "file": json_values,
                "values": json_values,
                "status": json_values,
                "steps_f64": json_values,
            },
        )
    )
    | json_values
)
def test_arbitrary_json_raises_only_invalid_input(payload: Any) -> None:
    try:
        decode_ops(payload)
    except InvalidInput:
        pass


def test_decoded_ops_apply_to_a_store(tmp_path: Any) -> None:
    store = Store.open_home(str(tmp_path / "s"))
    run = store.create_run("p")
    blob = store.artifacts.put_bytes(b"abc")
    ref = File.stored(blob.sha256, blob.size_bytes, name="m.bin", mime="application/x")
    wire = encode_ops(
        [
            UploadOp(FieldPath("m"), ref, seq=1),
            AppendOp(FieldPath("x"), SeriesKind.FLOAT, [0.0], [math.nan], [1.0], seq=2),
        ]
    )
    store.apply_ops(run.id, decode_ops(json.loads(json.dumps(wire))))
    assert store.artifacts.get_bytes(store.get_file(run.id, "m").sha256) == b"abc"
    assert math.isnan(store.read_series(run.id, "x").values[0])
    missing = encode_ops(
        [UploadOp(FieldPath("n"), File.stored("b" * 64, 1, name="n", mime="x"), seq=3)]
    )
    with pytest.raises(InvalidInput, match="not stored"):
        store.apply_ops(run.id, decode_ops(missing))
    assert store.get_run(run.key).last_seq == 2  # the refused batch left nothing behind
