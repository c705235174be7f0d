"""Hostile archives: refused while reading, with a structured error, and nothing ever written outside a temp dir."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.bundle import BundleError, LoadLimits, load_bundle
from mpsandbox.bundle import archive as archive_mod

ARCHIVES = Path(__file__).resolve().parents[2] / "fixtures" / "archives"


@pytest.mark.parametrize("name, code", [
    ("zip-slip.zip", "path-traversal"),
    ("absolute-path.zip", "absolute-path"),
    ("symlink.zip", "symlink"),
    ("duplicates.zip", "duplicate-name"),
    ("broken-json-archive.zip", "invalid-json"),
    ("too-many-entries.zip", "too-many-entries"),
    ("zip-bomb.zip", "file-too-large"),
])
def test_fixture_archives_are_refused(name, code):
    with pytest.raises(BundleError) as info:
        load_bundle(ARCHIVES / name)
    assert info.value.code == code


def _bomb(tmp_path: Path, megabytes: int) -> Path:
    p = tmp_path / "bomb.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.json", '{"pages": ["pages/a/a"]}')
        with zf.open("pages/a/data.json", "w") as fh:
            for _ in range(megabytes):
                fh.write(b"\0" * (1024 * 1024))
    return p


def test_zip_bomb_is_stopped_while_reading(tmp_path, monkeypatch):
    read = {"bytes": 0}
    real_read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = real_read(self, n)
        read["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    bomb = _bomb(tmp_path, 50)
    with zipfile.ZipFile(bomb) as zf:
        compressed = zf.getinfo("pages/a/data.json").compress_size
    with pytest.raises(BundleError) as info:
        load_bundle(bomb)
    assert info.value.code == "compression-ratio"
    limits = LoadLimits()
    # stopped as soon as the entry inflated past 100:1 of its compressed size, long before its 50 MB
    assert read["bytes"] <= max(limits.ratio_floor_bytes, limits.max_ratio * compressed) + 2 * archive_mod.CHUNK
    assert read["bytes"] < 10 * 1024 * 1024


def test_header_sizes_are_not_trusted(tmp_path):
    """An entry whose header under-states its size is still capped by what is actually inflated."""
    p = _bomb(tmp_path, 3)
    with pytest.raises(BundleError) as info:
        load_bundle(p, limits=LoadLimits(max_file_bytes=2 * 1024 * 1024, max_ratio=10_000))
    assert info.value.code == "file-too-large"


def test_total_size_cap(tmp_path):
    p = tmp_path / "big.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("app.json", '{"pages": ["pages/a/a"]}')
        for i in range(5):
            zf.writestr(f"assets/{i}.bin", os.urandom(300_000))
    with pytest.raises(BundleError) as info:
        load_bundle(p, limits=LoadLimits(max_total_bytes=1_000_000))
    assert info.value.code == "too-large"


def test_corrupt_and_truncated_archives(tmp_path):
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.json", '{"pages": ["pages/a/a"]}' + " " * 5000)
        zf.writestr("pages/a/a.js", "Page({})")
    data = good.getvalue()
    for i, blob in enumerate([data[: len(data) // 2], data[:30] + b"\xff" * 40 + data[70:], b"PK\x03\x04garbage"]):
        p = tmp_path / f"c{i}.zip"
        p.write_bytes(blob)
        with pytest.raises(BundleError) as info:
            load_bundle(p)
        assert info.value.code in ("bad-archive", "not-a-bundle", "invalid-json", "missing-app-json")


NAMES = st.one_of(
    st.sampled_from(["app.json", "app.js", "pages/a/a.js", "pages/a/a.ttml", "../x.js", "../../etc/passwd",
                     "/abs.js", "C:\\win.js", "a/../../b.js", "a\\..\\..\\c.js", "pages/A/a.js", "dir/", "./app.json",
                     "x\x00y.js", "ünï/cødé.js", "a" * 300]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(entries=st.lists(st.tuples(NAMES, st.binary(max_size=2000), st.booleans(), st.booleans()), max_size=12))
def test_generated_archives_never_escape_and_never_crash(tmp_path_factory, entries):
    work = tmp_path_factory.mktemp("gen")
    p = work / "gen.zip"
    with zipfile.ZipFile(p, "w") as zf:
        for name, data, compress, link in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            if link:
                info.external_attr = 0o120777 << 16
            try:
                zf.writestr(info, data)
            except (ValueError, UnicodeEncodeError):
                pass
    before_parent = sorted(os.listdir(work.parent))
    before_cwd = sorted(os.listdir(os.getcwd()))
    writes: list[str] = []
    real_open = open

    def spy_open(file, mode="r", *a, **kw):  # any write outside the temp tree is a failure
        if any(c in str(mode) for c in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *a, **kw)

    import builtins

    builtins.open = spy_open
    try:
        try:
            bundle = load_bundle(p, limits=LoadLimits(max_entries=50))
        except BundleError as exc:
            assert exc.code and str(exc)
        else:
            assert "app.json" in bundle.files
            for path in bundle.files:
                assert not path.startswith("/") and ".." not in path.split("/") and "\\" not in path
    finally:
        builtins.open = real_open
    assert writes == []
    assert sorted(os.listdir(work.parent)) == before_parent
    assert sorted(os.listdir(os.getcwd())) == before_cwd
