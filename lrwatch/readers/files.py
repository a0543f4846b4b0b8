"""Looking at a log file before reading it: its first bytes, its text encoding, and a Git LFS
pointer in its place.

A repository that keeps logs in Git LFS checks out, until ``git lfs pull``, a three-line text
pointer where the file should be (``version https://git-lfs.github.com/spec/v1``, then its
``oid`` and ``size``). Read as a CSV, events or JSON it gives a confusing error or, worse, a
wrong one; every reader checks for it first and says what to do.
"""

from __future__ import annotations

from pathlib import Path

from lrwatch.errors import InputError
from lrwatch.readers.series import cannot_read

HEAD_BYTES = 4096  # enough to recognise any format lrwatch reads (an SQLite header is 72)
# Text logs by name: what a script's output is saved as (``train.log``, ``log.txt``) and what job
# runners write it to (SLURM's ``slurm-<job>.out`` and ``.err``, ``nohup.out``; Python's
# ``logging`` prints to stderr). A file of another name is read by what it holds (``discover``).
TEXT_SUFFIXES = (".log", ".txt", ".out", ".err")
# The first line of every Git LFS pointer file (git-lfs spec v1, docs/spec.md).
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
# Byte order marks: Windows PowerShell's `>` (5.1) writes UTF-16 LE with one, Notepad UTF-8 with one
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def file_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file.

    Raises:
        InputError: the file cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise cannot_read(path, exc) from None


def text_encoding(head: bytes) -> str:
    """The encoding of a text file whose first bytes are ``head``: UTF-16 where a UTF-16 byte
    order mark says so, else UTF-8 (its mark, if any, dropped)."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"  # the codec reads the mark for the byte order and drops it
    return "utf-8-sig"


def as_utf8(head: bytes) -> bytes:
    """``head`` as UTF-8 bytes: a UTF-16 file's first bytes decoded (a character cut at the end
    replaced), any other returned as it is."""
    if text_encoding(head) != "utf-16":
        return head
    return head.decode("utf-16", "replace").encode("utf-8")


def is_lfs_pointer(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(LFS_POINTER)


def refuse_lfs_pointer(path: Path, head: bytes | None = None) -> None:
    """Raise when ``path`` (whose first bytes are ``head``, read when not given) is a Git LFS
    pointer rather than the log itself.

    Raises:
        InputError: it is a pointer, or the file cannot be read.
    """
    if is_lfs_pointer(file_head(path, len(LFS_POINTER) + 3) if head is None else head):
        raise InputError(f"{path} is a Git LFS pointer, not the log itself: run `git lfs pull` "
                         "in its repository to fetch the file, then analyze it again")
