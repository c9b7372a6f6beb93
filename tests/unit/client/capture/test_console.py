"""ConsoleCapture: lines are copied, the console still shows them, nothing breaks a print."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from cairn.client.capture.console import MAX_LINE_CHARS, ConsoleCapture

Lines = list[tuple[str, str, float]]


def capture_lines() -> tuple[ConsoleCapture, Lines]:
    lines: Lines = []
    return ConsoleCapture(lambda stream, line, at: lines.append((stream, line, at))), lines


def test_lines_are_emitted_and_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    capture, lines = capture_lines()
    capture.start()
    print("epoch 1 done")
    print("warning: slow", file=sys.stderr)
    sys.stdout.write("two\nlines\n")
    capture.stop()
    assert [(s, line) for s, line, _ in lines] == [
        ("stdout", "epoch 1 done"),
        ("stderr", "warning: slow"),
        ("stdout", "two"),
        ("stdout", "lines"),
    ]
    assert all(at > 0 for _, _, at in lines)
    out, err = capsys.readouterr()
    assert out == "epoch 1 done\ntwo\nlines\n" and err == "warning: slow\n"


def test_partial_lines_wait_for_their_end_or_for_stop() -> None:
    capture, lines = capture_lines()
    capture.start()
    print("loss=", end="")
    print(0.5, end="", flush=True)
    assert lines == []
    print(" ok")
    print("unfinished", end="")
    capture.stop()
    assert [line for _, line, _ in lines] == ["loss=0.5 ok", "unfinished"]


def test_originals_are_restored() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    capture, _ = capture_lines()
    capture.start()
    assert sys.stdout is not stdout
    capture.stop()
    capture.stop()
    assert sys.stdout is stdout and sys.stderr is stderr


def test_prints_from_threads_stay_whole_lines(capsys: pytest.CaptureFixture[str]) -> None:
    capture, lines = capture_lines()
    capture.start()

    def worker(n: int) -> None:
        for i in range(200):
            print(f"thread {n} line {i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    capture.stop()
    captured = [line for _, line, _ in lines]
    assert sorted(captured) == sorted(f"thread {n} line {i}" for n in range(4) for i in range(200))
    for n in range(4):  # each thread's lines keep their order
        own = [line for line in captured if line.startswith(f"thread {n} ")]
        assert own == [f"thread {n} line {i}" for i in range(200)]
    assert len(capsys.readouterr().out.splitlines()) == 800


def test_carriage_returns_keep_what_the_terminal_shows() -> None:
    capture, lines = capture_lines()
    capture.start()
    for percent in range(0, 101, 10):
        sys.stderr.write(f"\rprogress {percent}%")
    sys.stderr.write("\n")
    sys.stdout.write("windows\r\n")
    capture.stop()
    assert [line for _, line, _ in lines] == ["progress 100%", "windows"]


def test_an_endless_line_is_cut() -> None:
    capture, lines = capture_lines()
    capture.start()
    sys.stdout.write("x" * (MAX_LINE_CHARS + 10))
    capture.stop()
    assert [len(line) for _, line, _ in lines] == [MAX_LINE_CHARS, 10]


def test_emit_errors_are_counted_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    errors: list[BaseException] = []

    def emit(stream: str, line: str, at: float) -> None:
        raise RuntimeError(f"queue closed for {line}")

    capture = ConsoleCapture(emit, on_error=errors.append)
    capture.start()
    print("still printed")
    print("again")
    capture.stop()
    assert capture.failure_count == 2
    assert [str(e) for e in errors] == ["queue closed for still printed", "queue closed for again"]
    assert capsys.readouterr().out == "still printed\nagain\n"


def test_a_print_inside_emit_is_shown_not_captured(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []

    def emit(stream: str, line: str, at: float) -> None:
        lines.append(line)
        print(f"debug: got {line}")

    capture = ConsoleCapture(emit)
    capture.start()
    print("hello")
    capture.stop()
    assert lines == ["hello"]
    assert capsys.readouterr().out == "hello\ndebug: got hello\n"


def test_stream_attributes_pass_through() -> None:
    original = sys.stdout
    capture, _ = capture_lines()
    capture.start()
    try:
        tee = sys.stdout
        assert tee.encoding == original.encoding
        assert tee.errors == original.errors
        assert tee.isatty() == original.isatty()
        assert tee.writable() == original.writable()
        tee.flush()
        tee.writelines(["a\n", "b\n"])
    finally:
        capture.stop()


def test_fileno_passes_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(f"{tmp_path}/out.txt", "w") as fh:
        monkeypatch.setattr(sys, "stdout", fh)
        capture, lines = capture_lines()
        capture.start()
        assert sys.stdout.fileno() == fh.fileno()
        print("to file")
        capture.stop()
        assert sys.stdout is fh
    assert [line for _, line, _ in lines] == ["to file"]


def test_someone_else_replacing_the_stream_keeps_theirs(monkeypatch: pytest.MonkeyPatch) -> None:
    capture, lines = capture_lines()
    capture.start()
    tee = sys.stdout
    replacement = tee  # a later wrapper that writes through our tee

    class Later:
        def write(self, text: str) -> int:
            return replacement.write(text)

        def flush(self) -> None:
            replacement.flush()

    later = Later()
    monkeypatch.setattr(sys, "stdout", later)
    capture.stop()
    assert sys.stdout is later
    print("after stop")  # passes through the old tee without being captured
    assert lines == []


def test_start_twice_is_an_error() -> None:
    capture, _ = capture_lines()
    capture.start()
    try:
        with pytest.raises(RuntimeError, match="already"):
            capture.start()
    finally:
        capture.stop()
