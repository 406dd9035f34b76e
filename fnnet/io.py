"""Saving and loading parameters as ``.npz`` files, without pickle.

A file holds the parameter arrays under their own names, metadata arrays under
``meta.<name>``, and one JSON document (``__fnnet__``) with the format version,
the parameter keys and the JSON-able metadata. Files are written to a temporary
file in the target directory and moved into place with ``os.replace``, so a
failed save leaves any existing file intact.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._validation import check_params
from .params import Tree, freeze, layer_keys

FORMAT = "fnnet-params"
FORMAT_VERSION = 1
_HEADER = "__fnnet__"
_META = "meta."


def save(path: str | os.PathLike[str], params: Mapping[str, Any], **meta: Any) -> Path:
    """Write ``params`` (and metadata) to ``path`` atomically.

    Parameters
    ----------
    path : str or PathLike
        Target file, written exactly at this name (``.npz`` is conventional).
    params : Params
        A valid parameter tree.
    **meta
        Extra information: JSON-able values (str, numbers, bools, None, lists,
        dicts) or NumPy arrays (stored as arrays, returned read-only).

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fnnet import initialize
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "xor.npz"
    >>> _ = save(target, initialize((2, 4, 1)), hidden="tanh")
    >>> params, meta = load(target)
    >>> params == initialize((2, 4, 1)), meta
    (True, {'hidden': 'tanh'})
    """
    check_params(params)
    arrays, header = _pack(params, meta)
    header_array = np.array(json.dumps(header))
    return atomic_write(
        path, lambda f: np.savez(f, **{_HEADER: header_array}, **arrays)
    )


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]
) -> Path:
    """Create or replace ``path`` with what ``write(file)`` writes, atomically.

    The bytes go to a new temporary file in the same directory, are flushed to
    disk, and the file is then renamed over ``path`` (``os.replace``), so a
    reader sees the old file or the whole new one, never half of it. If
    ``write`` fails, the temporary file is removed and ``path`` is untouched.
    A new file gets the usual permissions (0o666 less the umask); a replaced
    file keeps its own. ``path`` is checked first with :func:`check_writable`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> atomic_write(target, lambda f: f.write(b"hi")).read_bytes()
    b'hi'
    """
    path = check_writable(path, "path")
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def check_writable(path: str | os.PathLike[str], name: str = "path") -> Path:
    """Check, before any work, that a file could be written at ``path``.

    Parameters
    ----------
    path : str or PathLike
        The file to be created or replaced.
    name : str
        What ``path`` is called where it was given (an argument name, or a
        command-line option such as ``"--out"``), for the messages.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    IsADirectoryError
        If ``path`` is a directory.
    FileNotFoundError
        If the directory that would hold the file does not exist.
    PermissionError
        If that directory is not writable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable(folder / "model.npz", "--out") == folder / "model.npz"
    True
    >>> check_writable(folder, "--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    IsADirectoryError: --out ... is a directory; give a file name
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{name} {path} is a directory; give a file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"{name} {path}: directory {target.parent} does not exist"
        )
    if not os.access(target.parent, os.W_OK):
        raise PermissionError(
            f"{name} {path}: directory {target.parent} is not writable"
        )
    return target


def _pack(params: Mapping[str, Any], meta: Mapping[str, Any]) -> tuple[dict, dict]:
    arrays = {k: np.asarray(params[k]) for k in params}
    json_meta = {}
    for key, value in meta.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(
                    f"meta[{key!r}] must be a numeric or string array, found object"
                )
            arrays[_META + key] = value
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"meta[{key!r}] must be JSON-serializable or an ndarray, "
                f"found {value!r} ({e})"
            ) from None
        json_meta[key] = value
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "keys": list(params),
        "meta": json_meta,
    }
    return arrays, header


def load(path: str | os.PathLike[str]) -> tuple[Tree, dict[str, Any]]:
    """Read parameters and metadata written by :func:`save`.

    Never unpickles. Any corrupt, truncated or foreign file raises
    ``ValueError`` naming the file and the cause.

    Returns
    -------
    params : Tree
        Validated parameters (keys, dtypes, shapes, finiteness).
    meta : dict
        The metadata given to :func:`save`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such model file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not an fnnet model file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a readable fnnet .npz file: not a zip archive")
    try:
        with np.load(path, allow_pickle=False) as npz:
            contents = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as e:
        raise ValueError(f"{path} is not a readable fnnet .npz file: {e}") from None
    header = _read_header(path, contents)
    keys = header["keys"]
    params = {k: contents.get(k) for k in keys}
    try:
        L, _ = check_params(params)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path} holds invalid parameters: {e}") from None
    if tuple(keys) != layer_keys(L):
        raise ValueError(f"{path} holds invalid parameters: keys {keys}")
    meta = dict(header["meta"])
    for name, arr in contents.items():
        if name.startswith(_META):
            arr.setflags(write=False)
            meta[name[len(_META) :]] = arr
    return freeze(params), meta


def _read_header(path: Path, contents: Mapping[str, np.ndarray]) -> dict[str, Any]:
    raw = contents.get(_HEADER)
    if raw is None or raw.dtype.kind != "U" or raw.shape != ():
        raise ValueError(f"{path} is not an fnnet model file (no {_HEADER} header)")
    try:
        header = json.loads(str(raw))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} has a corrupt {_HEADER} header: {e}") from None
    ok = (
        isinstance(header, dict)
        and header.get("format") == FORMAT
        and isinstance(header.get("keys"), list)
        and isinstance(header.get("meta"), dict)
    )
    if not ok:
        raise ValueError(f"{path} is not an fnnet model file (unrecognised header)")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} uses format version {header.get('version')!r}; this fnnet reads "
            f"version {FORMAT_VERSION}"
        )
    unknown = set(contents) - set(header["keys"]) - {_HEADER}
    unknown = {n for n in unknown if not n.startswith(_META)}
    if unknown:
        raise ValueError(f"{path} holds unexpected arrays {sorted(unknown)}")
    return header
