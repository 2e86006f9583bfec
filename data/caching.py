"""The pipeline's cache and progress bars: every expensive stage stores its arrays under
``data/cache/<fingerprint>/<stage>-<key>.npz``, keyed by a hash of its parameters, so a re-run
loads them and a run on other data or settings never reuses them."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
# Every stage caches here; MUSIC_VAE_CACHE moves it (tests and reproducibility checks use an empty one).
CACHE_DIR = Path(os.environ.get("MUSIC_VAE_CACHE") or DATA_DIR / "cache")


def fingerprint_tracks(tracks: pd.DataFrame) -> str:
    """Return a short hash of the track list and its files (id, path, size, mtime)."""
    h = hashlib.sha1()
    for tid, path in zip(tracks["track_id"], tracks["path"]):
        stat = os.stat(path) if isinstance(path, str) and path else None
        h.update(f"{tid}|{path}|{stat.st_size if stat else ''}|{stat.st_mtime_ns if stat else ''}\n".encode())
    return h.hexdigest()[:16]


def fingerprint_texts(texts: list[str]) -> str:
    """Return a short hash of a list of texts (order matters)."""
    return hashlib.sha1("\x1f".join(texts).encode()).hexdigest()[:16]


def progress(iterable=None, desc: str = "", total: int | None = None, disable: bool = False, leave: bool = True):
    """Return a tqdm progress bar over ``iterable``, or, when the environment variable
    ``MUSIC_VAE_PROGRESS=summary`` is set (the main job and tests, whose executed notebooks
    are committed or read), a quiet stand-in that prints one line when the loop ends, so a
    saved notebook holds no progress-bar fragments."""
    if os.environ.get("MUSIC_VAE_PROGRESS") == "summary":
        return _SummaryBar(iterable, desc, total, disable)
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=leave)


class _SummaryBar:
    """A tqdm stand-in (iteration, update, close) that prints '<desc>: <n> in <s> s' once at the end."""

    def __init__(self, iterable, desc, total, disable):
        self.iterable, self.desc, self.disable, self.n = iterable, desc, disable, 0
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.start, self.closed = time.perf_counter(), False

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        if not self.closed and not self.disable:
            print(f"{self.desc}: {self.n}{'' if self.total is None else f'/{self.total}'} "
                  f"in {time.perf_counter() - self.start:.1f} s")
        self.closed = True


def cache_path(stage: str, params: dict, data: pd.DataFrame | str, cache_dir: Path | str | None = CACHE_DIR) -> Path | None:
    """Return the file that caches a stage's output for these parameters and data (None: no caching)."""
    if cache_dir is None:
        return None
    key = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    fingerprint = data if isinstance(data, str) else fingerprint_tracks(data)
    return Path(cache_dir) / fingerprint / f"{stage}-{key}.npz"


def cached(stage: str, params: dict, data: pd.DataFrame | str, compute: Callable[[], dict],
           cache_dir: Path | str | None = CACHE_DIR, verbose: bool = True,
           check: Callable[[dict], str | None] | None = None) -> dict:
    """Return ``compute()``'s dict of arrays, cached in ``<cache_dir>/<fingerprint>/<stage>-<key>.npz``.

    The key hashes the parameters; the fingerprint is that of a track table (see
    :func:`fingerprint_tracks`) or a given string, so a run on other data or other settings
    never reuses an artefact. ``cache_dir=None`` disables caching. A cache file that cannot be
    read (truncated, empty) or that ``check`` rejects (it returns what is wrong, e.g. another
    run's shape) is reported with its path and recomputed, never trusted.
    """
    path = cache_path(stage, params, data, cache_dir)
    if path is None:
        return compute()
    if path.exists():
        problem, result = _read_entry(path)
        problem = problem or (check(result) if check else None)
        if problem is None:
            if verbose:
                print(f"[cache] {stage}: loaded {path.relative_to(path.parents[1])}")
            return result
        print(f"WARNING: cache entry {path} is damaged ({problem}); computing it again")
        path.unlink()
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **result)
    tmp.replace(path)
    if verbose:
        print(f"[cache] {stage}: saved {path.relative_to(path.parents[1])}")
    return result


def _read_entry(path: Path) -> tuple[str | None, dict]:
    """Return (what is wrong, or None; the arrays) of a cache file."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as f:
            return None, {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        return f"{type(exc).__name__}: {exc}", {}


def expect_rows(n: int, *keys: str) -> Callable[[dict], str | None]:
    """Return a check for :func:`cached`: every array in ``keys`` has ``n`` rows (one per track or text)."""
    def check(result: dict) -> str | None:
        for key in keys:
            if key not in result or len(result[key]) != n:
                return f"{key!r} holds {len(result[key]) if key in result else 0} rows for {n} tracks"
        return None
    return check
