"""What git knows about the code a run executes: commit, branch, remote, uncommitted changes.

Plain ``git`` subprocess calls with timeouts, so nothing beyond git itself is needed, and a
missing git or a folder outside any repository is an answer (``None``), not an error.
"""

from __future__ import annotations

import os
import subprocess
import urllib.parse
from dataclasses import dataclass

__all__ = ["GitInfo", "collect_git", "run_git", "strip_credentials"]

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_DIFF_BYTES = 1_000_000
DEFAULT_MAX_UNTRACKED = 1_000


@dataclass(frozen=True)
class GitInfo:
    """The state of the repository holding the working directory."""

    root: str
    commit: str | None  # None in a repository without any commit yet
    branch: str | None  # None on a detached HEAD
    remote_url: str | None  # credentials removed; None without a remote
    is_dirty: bool  # tracked files differ from HEAD (untracked files do not count)
    diff: str  # ``git diff HEAD``: staged and unstaged changes, possibly truncated
    is_diff_truncated: bool
    untracked: tuple[str, ...]  # untracked, not ignored files, relative to root
    is_untracked_truncated: bool


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # A capture runs beside the user's own git commands: never wait on a credential prompt,
    # and never take index.lock (``git status`` would otherwise refresh the index on disk).
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["LC_ALL"] = "C"
    return env


def run_git(args: list[str], cwd: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bytes | None:
    """Stdout of ``git <args>`` in ``cwd``, or None when git exits non-zero.

    Raises FileNotFoundError when git is not installed and subprocess.TimeoutExpired when it
    takes longer than ``timeout_s``.
    """
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=_git_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def _text(out: bytes | None) -> str | None:
    if out is None:
        return None
    text = out.decode("utf-8", errors="replace").strip()
    return text or None


def strip_credentials(url: str) -> str:
    """``url`` without a user name or password that could be a secret.

    >>> strip_credentials("https://user:token@github.com/org/repo.git")
    'https://github.com/org/repo.git'
    >>> strip_credentials("git@github.com:org/repo.git")
    'git@github.com:org/repo.git'
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url  # scp-like ``git@host:path`` or a local path: no secret to remove
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if parts.scheme == "ssh":
        # ssh://git@host keeps its user name, which is part of the address, not a secret.
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    else:
        # Over http(s) a lone user name is often a token (https://<token>@github.com).
        netloc = hostport
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _remote_url(root: str, timeout_s: float) -> str | None:
    url = _text(run_git(["config", "--get", "remote.origin.url"], root, timeout_s))
    if url is None:
        names = (_text(run_git(["remote"], root, timeout_s)) or "").split()
        if names:
            url = _text(run_git(["config", "--get", f"remote.{names[0]}.url"], root, timeout_s))
    return strip_credentials(url) if url else None


def _diff(root: str, max_bytes: int, timeout_s: float) -> tuple[str, bool]:
    out = run_git(["diff", "HEAD", "--no-color", "--no-ext-diff"], root, timeout_s) or b""
    if len(out) <= max_bytes:
        return out.decode("utf-8", errors="replace"), False
    # "ignore" drops a character cut in half at the boundary instead of inventing one.
    head = out[:max_bytes].decode("utf-8", errors="ignore")
    note = f"\n# cairn: diff truncated to {max_bytes} of {len(out)} bytes\n"
    return head + note, True


def _untracked(root: str, max_files: int, timeout_s: float) -> tuple[tuple[str, ...], bool]:
    out = run_git(["ls-files", "--others", "--exclude-standard", "-z"], root, timeout_s) or b""
    names = [n.decode("utf-8", errors="replace") for n in out.split(b"\0") if n]
    return tuple(names[:max_files]), len(names) > max_files


def collect_git(
    cwd: str,
    *,
    max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES,
    max_untracked: int = DEFAULT_MAX_UNTRACKED,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> GitInfo | None:
    """The git state of the repository holding ``cwd``, or None outside a repository or
    when git is not installed.

    Raises subprocess.TimeoutExpired when one git call takes longer than ``timeout_s``.

    >>> collect_git("/")  # doctest: +SKIP
    """
    try:
        root = _text(run_git(["rev-parse", "--show-toplevel"], cwd, timeout_s))
    except FileNotFoundError:
        return None  # git is not installed, or cwd does not exist
    if root is None:
        return None
    commit = _text(run_git(["rev-parse", "--verify", "-q", "HEAD"], root, timeout_s))
    branch = _text(run_git(["symbolic-ref", "--short", "-q", "HEAD"], root, timeout_s))
    if commit is None:
        # Nothing committed yet: there is no HEAD to diff against; everything is untracked
        # or staged, so the staged files are what "dirty" means here.
        staged = run_git(["diff", "--cached", "--name-only"], root, timeout_s) or b""
        diff, is_diff_truncated, is_dirty = "", False, bool(staged.strip())
    else:
        status = run_git(["status", "--porcelain", "--untracked-files=no"], root, timeout_s)
        is_dirty = bool((status or b"").strip())
        diff, is_diff_truncated = "", False
        if is_dirty:
            diff, is_diff_truncated = _diff(root, max_diff_bytes, timeout_s)
    untracked, is_untracked_truncated = _untracked(root, max_untracked, timeout_s)
    return GitInfo(
        root=root,
        commit=commit,
        branch=branch,
        remote_url=_remote_url(root, timeout_s),
        is_dirty=is_dirty,
        diff=diff,
        is_diff_truncated=is_diff_truncated,
        untracked=untracked,
        is_untracked_truncated=is_untracked_truncated,
    )
