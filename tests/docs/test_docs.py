"""The docs run: every Python snippet in README.md and docs/ executes as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cairn.settings import render_markdown

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


def snippets() -> list[tuple[str, int, str]]:
    found = []
    for doc in DOCS:
        for number, match in enumerate(SNIPPET.finditer(doc.read_text()), start=1):
            found.append((doc.name, number, match.group(1)))
    return found


@pytest.mark.parametrize(
    ("doc", "number", "code"), snippets(), ids=[f"{d}-{n}" for d, n, _ in snippets()]
)
def test_snippet_runs_as_written(
    doc: str, number: int, code: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh folder, as a new user would have: the snippet finds or creates .cairn/ there.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    script = tmp_path / "snippet.py"
    script.write_text(code)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{doc} snippet {number} failed:\n{result.stderr}"
    assert (tmp_path / ".cairn" / "cairn.db").exists()


def test_readme_names_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_settings_doc_is_current() -> None:
    assert (ROOT / "docs" / "settings.md").read_text() == render_markdown()
