"""save/load: exact round trips, atomic writes, no pickle, clear errors."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fnnet as fn
from fnnet import testing as ft


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ft.sizes(max_layers=4),
    st.sampled_from([np.float32, np.float64]),
    st.integers(0, 99),
)
def test_round_trip_is_exact(tmp_path, sizes, dtype, seed):
    params = fn.initialize(sizes, seed=seed, dtype=dtype)
    meta = {
        "hidden": "relu",
        "sizes": list(sizes),
        "nested": {"a": [1, 2.5, None]},
        "mean": np.arange(3.0),
    }
    path = fn.save(tmp_path / "model.npz", params, **meta)
    loaded, got = fn.load(path)
    ft.assert_trees_equal(loaded, params)
    assert isinstance(loaded, fn.Tree) and not loaded["W1"].flags.writeable
    assert (
        got["hidden"] == "relu"
        and got["sizes"] == list(sizes)
        and got["nested"] == meta["nested"]
    )
    assert np.array_equal(got["mean"], meta["mean"]) and not got["mean"].flags.writeable


def test_failed_save_leaves_existing_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    fn.save(path, fn.initialize((2, 3, 1), seed=0))
    original = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        fn.save(path, fn.initialize((2, 3, 1), seed=1))
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_save_rejects_bad_input(tmp_path):
    params = fn.initialize((2, 1))
    with pytest.raises(TypeError, match=r"meta\['f'\] must be JSON-serializable"):
        fn.save(tmp_path / "m.npz", params, f=object())
    with pytest.raises(ValueError, match="params must have keys"):
        fn.save(tmp_path / "m.npz", {"W1": params["W1"]})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fn.save(tmp_path / "no" / "m.npz", params)
    assert list(tmp_path.iterdir()) == []


HEADER = np.array(
    '{"format": "fnnet-params", "version": 1, "keys": ["W1", "b1"], "meta": {}}'
)


def _zip_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "not a readable fnnet .npz file"),
        (b"not a zip file at all", "not a readable fnnet .npz file"),
        (_zip_bytes(W1=np.ones((1, 2)), b1=np.ones((1, 1))), "no __fnnet__ header"),
        (_zip_bytes(__fnnet__=np.array("{not json")), "corrupt __fnnet__ header"),
        (_zip_bytes(__fnnet__=np.array('{"format": "other"}')), "unrecognised header"),
        (
            _zip_bytes(
                __fnnet__=np.array(
                    '{"format": "fnnet-params", "version": 99, "keys": [], "meta": {}}'
                )
            ),
            "format version 99",
        ),
        (
            _zip_bytes(
                __fnnet__=HEADER,
                W1=np.ones((1, 2)),
                b1=np.ones(1),
            ),
            r"invalid parameters.*b1'\] must have shape \(1, 1\)",
        ),
        (
            _zip_bytes(
                __fnnet__=HEADER,
                W1=np.full((1, 2), np.nan),
                b1=np.ones((1, 1)),
            ),
            "invalid parameters.*finite",
        ),
        (
            _zip_bytes(
                __fnnet__=HEADER,
                W1=np.array([[object(), 1]], dtype=object),
                b1=np.ones((1, 1)),
            ),
            "not a readable",
        ),
    ],
)
def test_load_rejects_foreign_and_corrupt_files(tmp_path, content, match):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        fn.load(path)
    assert str(path) in str(info.value)


def test_load_truncated_file_names_it(tmp_path):
    path = fn.save(tmp_path / "m.npz", fn.initialize((3, 5, 2)))
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=f"{path.name}.*not a readable"):
            fn.load(path)


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as z:
        buffer = io.BytesIO()
        np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        z.writestr("__fnnet__.npy", buffer.getvalue())
    with pytest.raises(ValueError, match="not a readable"):
        fn.load(path)


def test_load_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        fn.load(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="is a directory"):
        fn.load(tmp_path)


def test_atomic_write_keeps_modes_and_cleans_up(tmp_path):
    from fnnet.io import atomic_write

    target = tmp_path / "out.bin"
    atomic_write(target, lambda f: f.write(b"one"))
    target.chmod(0o640)
    atomic_write(target, lambda f: f.write(b"two"))
    assert target.read_bytes() == b"two" and target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(RuntimeError, match="boom"):
        atomic_write(
            target,
            lambda f: (
                f.write(b"partial"),
                (_ for _ in ()).throw(RuntimeError("boom")),
            ),
        )
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_load_says_not_a_zip_for_other_files(tmp_path):
    path = tmp_path / "picture.npz"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match="not a zip archive"):
        fn.load(path)


def test_check_writable_names_the_option_and_the_directory(tmp_path, monkeypatch):
    from fnnet.io import check_writable

    assert check_writable(str(tmp_path / "m.npz"), "--out") == tmp_path / "m.npz"
    with pytest.raises(IsADirectoryError, match=r"^--out .* is a directory; give a"):
        check_writable(tmp_path, "--out")
    missing = tmp_path / "no" / "m.npz"
    with pytest.raises(
        FileNotFoundError, match=rf"^--plot {missing}: directory .*no does not exist"
    ):
        check_writable(missing, "--plot")
    monkeypatch.setattr("os.access", lambda path, mode: False)
    with pytest.raises(PermissionError, match=r"directory .* is not writable$"):
        check_writable(tmp_path / "m.npz", "--out")


def test_atomic_write_checks_the_destination_first(tmp_path):
    from fnnet.io import atomic_write

    with pytest.raises(IsADirectoryError, match=r"path .* is a directory"):
        atomic_write(tmp_path, lambda f: f.write(b"x"))
    with pytest.raises(FileNotFoundError, match=r"path .*: directory .* does not"):
        atomic_write(tmp_path / "no" / "x.bin", lambda f: f.write(b"x"))
    assert list(tmp_path.iterdir()) == []
