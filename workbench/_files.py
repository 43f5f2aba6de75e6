"""Writing files atomically: through a temporary file in the same folder, then a rename.

A reader (or a rerun after a crash) never sees a half-written file; temporary files are named
``.<name>.<pid>.<random>.tmp`` so a cleanup can find them with the pattern ``.*.tmp*``. A set of
files that belong together is written into a temporary folder beside its target
(``.<name>.<random>.tmp``) and moved into place whole (:func:`staged_folder`); an output folder is
checked before any work (:func:`check_output_folder`).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .exceptions import InvalidParameterError

#: where IPython, matplotlib and Jupyter keep their files, below a state folder of the project
#: (``.venv/var`` for the tasks and tests, a temporary folder for the calculator page): never in
#: the home folder
STATE_DIRS = {
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
}


__all__ = ["atomic_path", "write_text_atomic", "current_umask", "check_output_folder",
           "staged_folder"]


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """A temporary path to write; renamed to ``path`` when the block succeeds, removed if it fails.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def current_umask() -> int:
    """The process's file-creation mask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _folder_error(name: str, path, why: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"`{name}` must be a folder that can be created and written; got {str(path)!r}: {why}."
    )


def check_output_folder(path, name: str = "out", *, create: bool = True) -> Path:
    """``path`` as an output folder that exists (created if needed) and can be written.

    With ``create=False`` the folder is not made: the check is that it could be (its nearest
    existing parent, and the folder itself if it exists, can be written).

    Checked before any work, so that a bad path costs nothing: an existing file, a path under a
    file, a place where no folder can be made (``/proc/...``) or a folder without write permission
    is an :class:`~workbench.exceptions.InvalidParameterError` naming ``name`` and the path.

    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> check_output_folder(base / "new" / "folder").is_dir()
    True
    >>> _ = (base / "a.txt").write_text("x")
    >>> check_output_folder(base / "a.txt" / "sub", "--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.exceptions.InvalidParameterError: `--out` must be a folder ...: it is under the ...
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise _folder_error(name, path, "it is a file" if p.is_file() else "it is not a folder")
    existing = None
    for parent in Path(os.path.abspath(p)).parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise _folder_error(name, path, f"it is under the file {str(parent)!r}")
            existing = parent
            break
    try:
        if create:
            p.mkdir(parents=True, exist_ok=True)
        # writing into the folder and beside it (where a temporary folder is made) must work
        places = {Path(os.path.abspath(p)).parent, p} if p.is_dir() else {existing}
        for where in places:
            os.rmdir(tempfile.mkdtemp(prefix=".probe.", suffix=".tmp", dir=where))
    except OSError as exc:
        raise _folder_error(name, path, f"cannot write there ({exc.strerror or exc})") from None
    return p


@contextmanager
def staged_folder(path, name: str = "out") -> Iterator[Path]:
    """A temporary folder beside ``path`` to write a set of files; moved into place whole.

    When the block succeeds, the folder is renamed to ``path`` (when ``path`` does not exist) or,
    when it exists (other files, an earlier set), its files are moved in one by one once all were
    written; other files in ``path`` stay. When the block fails,
    the temporary folder is removed and ``path`` keeps what it had. So a reader sees either the
    old set or the new one, never a new file beside old ones because a later file failed.
    ``path`` is checked first with :func:`check_output_folder` (``name`` is the parameter named
    in its errors); an operating-system error while writing becomes an
    :class:`~workbench.exceptions.InvalidParameterError` naming the path.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "set"
    >>> with staged_folder(target) as tmp:
    ...     _ = (tmp / "a.csv").write_text("1")
    ...     _ = (tmp / "b.csv").write_text("2")
    >>> sorted(p.name for p in target.iterdir())
    ['a.csv', 'b.csv']
    """
    target = check_output_folder(path, name, create=False)
    parent = Path(os.path.abspath(target)).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{Path(os.path.abspath(target)).name}.",
                                    suffix=".tmp", dir=parent))
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private
    except OSError as exc:
        raise _folder_error(name, path, exc.strerror or str(exc)) from None
    try:
        try:
            yield tmp
            _move_into_place(tmp, target, name, path)
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise InvalidParameterError(
                f"`{name}`: could not write the files into {str(path)!r}: "
                f"{exc.strerror or exc}{where}."
            ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(tmp: Path, target: Path, name: str, path) -> None:
    names = sorted(p.name for p in tmp.iterdir())
    if not os.path.lexists(target):
        try:
            os.rename(tmp, target)  # the whole set at once
            return
        except OSError as exc:  # made meanwhile by someone else: file by file below
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    blocked = [n for n in names if (target / n).is_dir() and not (tmp / n).is_dir()]
    if blocked:
        raise _folder_error(name, path, f"{blocked[0]!r} in it is a folder")
    for n in names:
        dest = target / n
        if (tmp / n).is_dir() and dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        os.replace(tmp / n, dest)


def check_output_file(path: str | os.PathLike, name: str, *, what: str = "a file") -> Path:
    """Check before any work that a file can be written at ``path`` (its folders are created).

    Parameters
    ----------
    path : path-like
    name : str
        The option or parameter named in the message (``"--output"``, ``"output_path"``).
    what : str
        What to give instead of a folder, in the message (``"a notebook file"``).

    Raises
    ------
    InvalidParameterError
        Naming ``name`` and the path: it is a folder, or its folder cannot be made or written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_output_file(Path(tmp) / "sub" / "report.md", "--summary").name
    'report.md'
    """
    p = Path(path)
    if p.is_dir():
        raise InvalidParameterError(f"`{name}` {str(path)!r} is a folder; give {what} name.")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        probe = p.parent / f".{p.name}.{os.getpid()}.probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InvalidParameterError(
            f"`{name}` {str(path)!r} cannot be written: {exc.strerror or exc}.") from None
    return p
