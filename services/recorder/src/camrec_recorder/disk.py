"""The recordings folder as a disk the recorder must be able to write.

At start-up: every folder the recorder writes gets a test file written, synced and deleted;
if that fails the worker stops before it joins NATS, with one line naming the folder, its
owner and who the recorder runs as. While recording: FFmpeg's errors about its *output*
(not the camera's) are recognised, so a disk that can't be written ends the recording with
the disk's error instead of being retried as a camera that dropped.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_ERRNOS = (
    *DISK_FULL_ERRNOS,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
    errno.EFBIG,
    errno.ENOENT,  # the folder was removed or replaced under the recorder
    errno.ENOTDIR,
)
"""Errors on the output that are the disk's doing. FFmpeg prints them with the C library's
``strerror`` (the same text as ``os.strerror`` here): "Permission denied", "Read-only file
system", "No space left on device", "Input/output error", ..."""
_BY_MESSAGE = {os.strerror(code): code for code in DISK_ERRNOS}

_WRITE_CONTEXTS = (
    "av_interleaved_write_frame(): ",
    "Error submitting a packet to the muxer: ",
    "Could not write header for output file",
)
"""How FFmpeg 5.1 (and 6+) starts an error line about writing the output without naming
its path; the others name it: "<path>: Permission denied" (opening), "Error writing trailer
of <path>: ...", "Error closing file <path>: ..."."""


@dataclass(frozen=True)
class OutputError:
    """FFmpeg could not write its output file."""

    code: int
    message: str
    path: str

    @property
    def disk_full(self) -> bool:
        return self.code in DISK_FULL_ERRNOS

    @property
    def reason(self) -> str:
        """The recording's end reason: the disk's error, and the file it was writing."""
        kind = "disk full" if self.disk_full else "disk error"
        return f"{kind}: {self.message} writing {self.path}"


def output_error(stderr: str, output: Path) -> OutputError | None:
    """The first error about writing ``output`` in FFmpeg's stderr, or None (then the
    trouble, if any, was the source's: an input error never names the output file)."""
    path = str(output)
    for line in stderr.splitlines():
        if path not in line and not line.lstrip().startswith(_WRITE_CONTEXTS):
            continue
        message = line.rsplit(": ", 1)[-1].strip()
        code = _BY_MESSAGE.get(message)
        if code is not None:
            return OutputError(code, message, path)
    return None


class FolderNotWritable(SystemExit):
    """Start-up stops with this one line: the recordings folder can't be written."""


def check_folders(root: Path) -> list[str]:
    """Create the recordings folder and its ``.partial/`` and ``.thumbnails/``, and write,
    sync and delete a test file in each. Raise :class:`FolderNotWritable` when one of them
    can't be written; return warnings (a full disk: the worker still starts, to finish what
    it owned; "will it fit?" refuses new recordings with the numbers)."""
    root = Path(os.path.abspath(root))
    warnings = []
    for folder in (root, root / ".partial", root / ".thumbnails"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_test_file(folder)
        except OSError as error:
            if error.errno in DISK_FULL_ERRNOS:
                warnings.append(f"{folder} is full ({error.strerror}): no recording can start")
                continue
            raise FolderNotWritable(not_writable_line(root, folder, error)) from None
    return warnings


def _write_test_file(folder: Path) -> None:
    test = folder / f".camrec-write-test-{os.getpid()}"
    fd = os.open(test, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, b"camrec write test\n")
        os.fsync(fd)  # an I/O error or a full disk shows here, not only at open
    finally:
        os.close(fd)
        test.unlink(missing_ok=True)


def not_writable_line(root: Path, folder: Path, error: OSError) -> str:
    """One line: which folder, its owner, who the recorder runs as, what to do."""
    me_uid, me_gid = os.geteuid(), os.getegid()
    owned, owner = _owner(folder)
    what = error.strerror or str(error)
    line = f"camrec-recorder: cannot write to {folder} ({what}): "
    if owner is None:
        line += f"its owner can't be read; the recorder runs as {_who(me_uid, me_gid)}."
    else:
        at = "it" if owned == folder else str(owned)
        line += (
            f"{at} belongs to {_who(owner.st_uid, owner.st_gid)}, "
            f"the recorder runs as {_who(me_uid, me_gid)}."
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        line += f" Fix: chown -R {me_uid}:{me_gid} {root}"
        if owner is not None and owner.st_uid != 0:  # never advise running as root
            line += (
                f", or run the recorder as {owner.st_uid}:{owner.st_gid}"
                " (compose: CAMREC_UID/CAMREC_GID in .env; docker run: --user)"
            )
        line += "."
    elif error.errno == errno.EROFS:
        line += " It is mounted read-only: mount it read-write."
    else:
        line += " Check the disk (dmesg)."
    return line


def _owner(path: Path) -> tuple[Path, os.stat_result | None]:
    """``path``'s owner, or its nearest parent's when ``path`` is missing or can't be read."""
    for candidate in (path, *path.parents):
        try:
            return candidate, candidate.stat()
        except OSError:
            continue
    return path, None


def _who(uid: int, gid: int) -> str:
    """``uid:gid``, with the names when they resolve: ``1000:1000 (alice:alice)``."""
    user = _name(lambda: pwd.getpwuid(uid).pw_name)
    group = _name(lambda: grp.getgrgid(gid).gr_name)
    if user is None and group is None:
        return f"{uid}:{gid}"
    return f"{uid}:{gid} ({user or '?'}:{group or '?'})"


def _name(lookup: Callable[[], str]) -> str | None:
    try:
        return lookup()
    except KeyError:  # no such user or group here (a container's uid, say)
        return None
