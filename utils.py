"""Shared helpers for the music-clustering notebooks, in pipeline order.

Sections: setup and caching -> loading tracks -> audio features -> figures.
Every loader returns the track table of DESIGN.md (track_id, path, genre, language,
lyrics) together with a table of skipped files and their reasons. Nothing heavy runs at
import time; optional libraries are imported inside the functions that need them.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "data"
CACHE_DIR = DATA_DIR / "cache"
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".au")
TRACK_COLUMNS = ["track_id", "path", "genre", "language", "lyrics"]
SKIPPED_COLUMNS = ["track_id", "path", "reason"]
SR = 22050            # sample rate of every feature
HOP = 512             # STFT hop (23 ms at 22.05 kHz)
N_FFT = 2048


# ============================================================================ setup and caching
def set_seed(seed: int) -> None:
    """Seed Python, NumPy and (if imported) torch, for reproducible runs."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def fingerprint_tracks(tracks: pd.DataFrame) -> str:
    """Return a short hash of the track list and its files (id, path, size, mtime)."""
    h = hashlib.sha1()
    for tid, path in zip(tracks["track_id"], tracks["path"]):
        stat = os.stat(path) if isinstance(path, str) and path else None
        h.update(f"{tid}|{path}|{stat.st_size if stat else ''}|{stat.st_mtime_ns if stat else ''}\n".encode())
    return h.hexdigest()[:16]


def cached(stage: str, params: dict, tracks: pd.DataFrame, compute: Callable[[], dict],
           cache_dir: Path | str | None = CACHE_DIR, verbose: bool = True) -> dict:
    """Return ``compute()``'s dict of arrays, cached in ``<cache_dir>/<fingerprint>/<stage>-<key>.npz``.

    The key hashes the parameters, the fingerprint the dataset, so a run on other data or
    other settings never reuses an artefact. ``cache_dir=None`` disables caching.
    """
    if cache_dir is None:
        return compute()
    key = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    path = Path(cache_dir) / fingerprint_tracks(tracks) / f"{stage}-{key}.npz"
    if path.exists():
        if verbose:
            print(f"[cache] {stage}: loaded {path.relative_to(path.parents[1])}")
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **result)
    tmp.replace(path)
    if verbose:
        print(f"[cache] {stage}: saved {path.relative_to(path.parents[1])}")
    return result


# ============================================================================ loading tracks
def load_tracks(dataset: str = "demo", data_dir: str | Path | None = None, *, preset: str = "full",
                min_duration: float = 3.0, verbose: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(tracks, skipped)``: the track table and the files left out with the reason.

    dataset: ``demo`` (built on first use from ``data/make_demo.py``; ``preset`` full|tiny),
    ``gtzan`` (a folder holding ``<genre>.<NNNNN>.au|wav`` files in any layout),
    ``folder`` (``audio/<label>/*`` with an optional ``metadata.csv``) or ``features``
    (a Kaggle-style table such as ``features_30_sec.csv``; no audio, its feature columns
    come along prefixed ``feat:``). Every audio file is decoded once to check it: files
    that cannot be read, are digitally silent or shorter than ``min_duration`` seconds are
    listed in ``skipped``, never dropped silently.
    """
    if dataset == "demo":
        root = Path(data_dir) if data_dir else DATA_DIR / "demo" / preset
        if not (root / "metadata.csv").exists():
            _build_demo(preset, root)
        candidates, skipped = _scan_folder(root, verbose=False)  # its extra columns are the recipe
    elif dataset == "gtzan":
        candidates, skipped = _scan_gtzan(_existing_dir(data_dir, dataset)), []
    elif dataset == "folder":
        candidates, skipped = _scan_folder(_existing_dir(data_dir, dataset), verbose)
    elif dataset == "features":
        return _load_feature_table(data_dir, verbose)
    else:
        raise ValueError(f"unknown dataset {dataset!r}: use 'demo', 'gtzan', 'folder' or 'features'")

    rows = []
    iterator = candidates.itertuples(index=False)
    if len(candidates) > 50:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, total=len(candidates), desc="checking audio", disable=not verbose)
    for row in iterator:
        reason = check_audio(row.path, min_duration)
        if reason:
            skipped.append({"track_id": row.track_id, "path": row.path, "reason": reason})
        else:
            rows.append(row._asdict())
    tracks = pd.DataFrame(rows, columns=candidates.columns).reset_index(drop=True)
    skipped = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    if tracks.empty:
        raise ValueError(f"no usable audio in {dataset} data ({len(skipped)} files skipped):\n"
                         + skipped.to_string(index=False, max_colwidth=60))
    if verbose:
        summarize_tracks(tracks, skipped)
    return tracks, skipped


def summarize_tracks(tracks: pd.DataFrame, skipped: pd.DataFrame) -> None:
    """Print how many tracks were loaded, by genre and language, and every skipped file."""
    print(f"{len(tracks)} tracks loaded; {len(skipped)} skipped.")
    for col in ("genre", "language"):
        counts = tracks[col].fillna("<missing>").value_counts().sort_index()
        print(f"  {col}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if len(skipped):
        print("Skipped files (not used):")
        print(skipped.to_string(index=False, max_colwidth=70))


def check_audio(path: str, min_duration: float = 3.0) -> str | None:
    """Return why an audio file cannot be used (unreadable, empty, silent, too short), or None."""
    import soundfile as sf

    p = Path(path)
    if not p.exists():
        return "file not found"
    if p.stat().st_size == 0:
        return "empty file (0 bytes)"
    try:
        audio, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises LibsndfileError/RuntimeError for bad files
        msg = str(exc).splitlines()[0].replace(str(p), "").strip(" :")
        return f"cannot decode audio ({msg or type(exc).__name__}); the file may be truncated or headerless"
    if audio.size == 0:
        return "no audio samples"
    if not np.isfinite(audio).all():
        return "audio contains NaN or infinite samples"
    duration = audio.shape[0] / sr
    if duration < min_duration:
        return f"too short: {duration:.2f} s < min_duration {min_duration:.2f} s"
    if float(np.max(np.abs(audio))) < 1e-4:
        return "digital silence (peak below -80 dBFS)"
    return None


def _existing_dir(data_dir: str | Path | None, dataset: str) -> Path:
    """Return data_dir as a Path, or raise a message that says what to pass."""
    if not data_dir:
        raise ValueError(f"dataset={dataset!r} needs DATA_DIR: the folder that holds the audio")
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"DATA_DIR {root} does not exist or is not a folder")
    return root


def _build_demo(preset: str, root: Path) -> None:
    """Build the demo preset by importing data/make_demo.py."""
    import importlib.util

    if root != DATA_DIR / "demo" / preset:
        raise FileNotFoundError(f"{root}/metadata.csv not found; build it with "
                                f"`python data/make_demo.py --preset {preset} --out {root.parent}`")
    spec = importlib.util.spec_from_file_location("make_demo", DATA_DIR / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(f"Building the demo dataset ({preset}) once; later runs reuse it.")
    module.build(preset)


def _empty_tracks(n: int = 0) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([pd.NA] * n, dtype="string") for c in TRACK_COLUMNS})


def _scan_gtzan(root: Path) -> pd.DataFrame:
    """Return candidate tracks for GTZAN files named <genre>.<NNNNN>.<au|wav>, anywhere below root."""
    pattern = re.compile(r"^([a-z]+)\.(\d{5})\.(au|wav)$", re.IGNORECASE)
    files = sorted(p for p in root.rglob("*") if p.is_file() and pattern.match(p.name))
    if not files:
        raise FileNotFoundError(
            f"no GTZAN files (<genre>.<NNNNN>.au or .wav) below {root}. Expected e.g. "
            "genres/<genre>/<genre>.00000.au or Data/genres_original/<genre>/<genre>.00000.wav")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [p.stem for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [pattern.match(p.name).group(1).lower() for p in files]
    return tracks


def _read_csv_any_encoding(path: Path) -> pd.DataFrame:
    """Read a CSV as UTF-8; fall back to Latin-1 with a printed warning."""
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        print(f"WARNING: {path} is not UTF-8 ({exc.reason} at byte {exc.start}); read it as Latin-1. "
              "Non-English text may be garbled: save the file as UTF-8.")
        return pd.read_csv(path, encoding="latin-1", dtype=str, keep_default_na=False)


def _scan_folder(root: Path, verbose: bool = True) -> tuple[pd.DataFrame, list[dict]]:
    """Return candidate tracks from ``audio/<label>/*`` (or ``<label>/*``) plus an optional metadata.csv."""
    audio_root = root / "audio" if (root / "audio").is_dir() else root
    files = sorted(p for p in audio_root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
    meta_path = root / "metadata.csv"
    if not files and not meta_path.exists():
        raise FileNotFoundError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {audio_root}. "
                                "Expected audio/<label>/<file>, with an optional metadata.csv beside audio/.")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [p.stem for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [p.parent.name if p.parent != audio_root else pd.NA for p in files]
    skipped: list[dict] = []
    if meta_path.exists():
        tracks, skipped = _merge_metadata(tracks, _read_csv_any_encoding(meta_path), root, verbose)
    dup = tracks["track_id"].duplicated(keep=False)
    if dup.any():  # same file name under two labels: make ids unique with the label
        tracks.loc[dup, "track_id"] = tracks.loc[dup, "genre"].fillna("") + "/" + tracks.loc[dup, "track_id"]
    return tracks, skipped


def _merge_metadata(tracks: pd.DataFrame, meta: pd.DataFrame, root: Path,
                    verbose: bool) -> tuple[pd.DataFrame, list[dict]]:
    """Join metadata rows to audio files (by path, filename or track_id); list rows whose file is missing."""
    meta = meta.rename(columns={c: c.strip().lower() for c in meta.columns}).rename(columns={"label": "genre"})
    known = {"track_id", "path", "filename", "genre", "language", "lyrics"}
    extra = [c for c in meta.columns if c not in known]
    if verbose and extra:
        print(f"metadata.csv: extra columns kept as they are: {extra}")
    key_col = next((c for c in ("path", "filename", "track_id") if c in meta.columns), None)
    if key_col is None:
        raise ValueError(f"{root / 'metadata.csv'} needs a 'path', 'filename' or 'track_id' column "
                         f"to match rows to audio files; it has {list(meta.columns)}")
    by_key = {
        "path": {str(Path(p).relative_to(root)): i for i, p in enumerate(tracks["path"])},
        "filename": {Path(p).name: i for i, p in enumerate(tracks["path"])},
        "track_id": {t: i for i, t in enumerate(tracks["track_id"])},
    }[key_col]
    tracks = tracks.copy()
    for c in extra:
        tracks[c] = pd.Series(pd.NA, index=tracks.index, dtype="string")
    skipped = []
    for _, row in meta.iterrows():
        key = str(row[key_col]).strip()
        i = by_key.get(key)
        if i is None:
            tid = str(row["track_id"]) if "track_id" in meta.columns else Path(key).stem
            skipped.append({"track_id": tid, "path": str(root / key) if key_col == "path" else key,
                            "reason": "listed in metadata.csv but audio file not found"})
            continue
        for c in ("track_id", "genre", "language", "lyrics", *extra):
            if c in meta.columns and str(row[c]).strip() != "":
                tracks.at[i, c] = row[c]
            elif c == "lyrics" and c in meta.columns and str(row.get("language", "")) == "instrumental":
                tracks.at[i, c] = ""   # known to have no lyrics
    n_unlisted = len(tracks) - len(set(by_key[str(k).strip()] for k in meta[key_col] if str(k).strip() in by_key))
    if verbose and n_unlisted:
        print(f"metadata.csv: {n_unlisted} audio files have no metadata row; their label is their folder name.")
    return tracks, skipped


def _load_feature_table(path: str | Path | None, verbose: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the track table of a Kaggle-style feature CSV, its numeric columns prefixed ``feat:``."""
    if not path:
        raise ValueError("dataset='features' needs DATA_DIR: the CSV file (e.g. Data/features_30_sec.csv)")
    path = Path(path)
    if path.is_dir():
        found = sorted(path.rglob("features_30_sec.csv"))
        if not found:
            raise FileNotFoundError(f"no features_30_sec.csv below {path}")
        path = found[0]
    table = _read_csv_any_encoding(path)
    missing = {"filename", "label"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}; a feature table needs "
                         "'filename', 'label' and numeric feature columns")
    feature_cols = [c for c in table.columns if c not in ("filename", "label", "length")]
    values = table[feature_cols].apply(pd.to_numeric, errors="coerce")
    non_numeric = [c for c in feature_cols if values[c].isna().all()]
    if non_numeric:
        raise ValueError(f"{path}: non-numeric feature columns {non_numeric}")
    bad = values.isna().any(axis=1)
    tracks = _empty_tracks(len(table))
    tracks["track_id"] = table["filename"].str.replace(r"\.(wav|au)$", "", regex=True)
    tracks["path"] = ""
    tracks["genre"] = table["label"].replace("", pd.NA)
    tracks = pd.concat([tracks, values.add_prefix("feat:")], axis=1)
    skipped = pd.DataFrame({"track_id": tracks.loc[bad, "track_id"], "path": "",
                            "reason": "missing or non-numeric feature values"}, columns=SKIPPED_COLUMNS)
    tracks = tracks.loc[~bad].reset_index(drop=True)
    if verbose:
        print(f"Feature table {path.name}: {len(feature_cols)} features.")
        summarize_tracks(tracks, skipped)
    return tracks, skipped.reset_index(drop=True)


# ============================================================================ audio features
def load_audio(path: str, sr: int = SR, clip_seconds: float | None = 30.0) -> np.ndarray:
    """Return mono float32 audio at ``sr``, cropped to the central ``clip_seconds`` when longer."""
    import librosa

    y, _ = librosa.load(path, sr=sr, mono=True)
    if clip_seconds and len(y) > clip_seconds * sr:
        n = int(clip_seconds * sr)
        start = (len(y) - n) // 2
        y = y[start:start + n]
    return y.astype(np.float32)


def mfcc_feature_names(n_mfcc: int = 40) -> list[str]:
    """Return the names of the columns that :func:`compute_mfcc_stats` returns, in order."""
    names = []
    for prefix in ("mfcc", "dmfcc", "ddmfcc"):
        for stat in ("mean", "std"):
            names += [f"{prefix}{i + 1}_{stat}" for i in range(n_mfcc)]
    for d in ("centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms"):
        names += [f"{d}_mean", f"{d}_std"]
    for stat in ("mean", "std"):
        names += [f"contrast{i + 1}_{stat}" for i in range(7)]
        names += [f"chroma{i + 1}_{stat}" for i in range(12)]
    return names


def compute_mfcc_stats(y: np.ndarray, sr: int = SR, n_mfcc: int = 40) -> np.ndarray:
    """Return one vector per clip: mean and std of MFCCs, their deltas and spectral descriptors."""
    import librosa

    S = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2
    mel = librosa.feature.melspectrogram(S=S, sr=sr, n_mels=128)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=n_mfcc)
    parts = []
    for m in (mfcc, librosa.feature.delta(mfcc), librosa.feature.delta(mfcc, order=2)):
        parts += [m.mean(axis=1), m.std(axis=1)]
    mag = np.sqrt(S)
    desc = [librosa.feature.spectral_centroid(S=mag, sr=sr), librosa.feature.spectral_bandwidth(S=mag, sr=sr),
            librosa.feature.spectral_rolloff(S=mag, sr=sr), librosa.feature.spectral_flatness(S=mag),
            librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP),
            librosa.feature.rms(S=mag, frame_length=N_FFT)]
    for d in desc:
        parts.append(np.array([d.mean(), d.std()]))
    contrast = librosa.feature.spectral_contrast(S=mag, sr=sr)
    chroma = librosa.feature.chroma_stft(S=S, sr=sr, tuning=0.0)  # no piptrack: faster, no numba
    parts += [contrast.mean(axis=1), chroma.mean(axis=1), contrast.std(axis=1), chroma.std(axis=1)]
    return np.concatenate(parts).astype(np.float32)


def compute_logmel_patches(y: np.ndarray, sr: int = SR, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8) -> np.ndarray:
    """Return ``n_patches`` log-mel patches (dB) of shape (n_mels, patch_frames), evenly spaced over the clip."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=n_mels)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    logmel = np.maximum(logmel, -100.0)
    if logmel.shape[1] < patch_frames:
        raise ValueError(f"clip has {logmel.shape[1]} frames, fewer than patch_frames={patch_frames} "
                         f"({patch_frames * HOP / sr:.2f} s); raise min_duration in load_tracks")
    starts = np.linspace(0, logmel.shape[1] - patch_frames, n_patches).round().astype(int)
    return np.stack([logmel[:, s:s + patch_frames] for s in starts]).astype(np.float32)


def _features_for_path(path: str, kinds: tuple[str, ...], params: dict) -> dict:
    """Load one file and compute the requested feature kinds (worker function).

    BLAS is held to one thread so that the floating-point sums, and hence the features,
    are the same whatever the number of workers.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        y = load_audio(path, params["sr"], params["clip_seconds"])
        out = {}
        if "mfcc" in kinds:
            out["mfcc"] = compute_mfcc_stats(y, params["sr"], params["n_mfcc"])
        if "logmel" in kinds:
            out["logmel"] = compute_logmel_patches(y, params["sr"], params["n_mels"], params["patch_frames"],
                                                   params["n_patches"])
    return out


def _extract(tracks: pd.DataFrame, kind: str, params: dict, n_jobs: int,
             cache_dir: Path | str | None, verbose: bool) -> np.ndarray:
    """Compute one feature kind for every track, in parallel, cached; rows follow ``tracks``."""
    if tracks["path"].fillna("").eq("").any():
        raise ValueError("some tracks have no audio path (a feature-only table?): "
                         "use feature_table_matrix(tracks) for such data")

    def compute():
        from joblib import Parallel, delayed
        from tqdm.auto import tqdm

        jobs = (delayed(_features_for_path)(p, (kind,), params) for p in tracks["path"])
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        rows = [r[kind] for r in tqdm(results, total=len(tracks), desc=f"{kind} features",
                                      disable=not verbose)]
        return {kind: np.stack(rows)}

    return cached(kind, {"kind": kind, **params}, tracks, compute, cache_dir, verbose)[kind]


def extract_mfcc_stats(tracks: pd.DataFrame, n_mfcc: int = 40, sr: int = SR, clip_seconds: float = 30.0,
                       n_jobs: int = -1, cache_dir: Path | str | None = CACHE_DIR,
                       verbose: bool = True) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)``: MFCC-statistic vectors (n_tracks, 6*n_mfcc+50) and their column names."""
    params = dict(sr=sr, n_mfcc=n_mfcc, clip_seconds=clip_seconds)
    return _extract(tracks, "mfcc", params, n_jobs, cache_dir, verbose), mfcc_feature_names(n_mfcc)


def extract_logmel_patches(tracks: pd.DataFrame, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8, sr: int = SR, clip_seconds: float = 30.0, n_jobs: int = -1,
                           cache_dir: Path | str | None = CACHE_DIR, verbose: bool = True) -> np.ndarray:
    """Return log-mel patches in dB, shape (n_tracks, n_patches, n_mels, patch_frames)."""
    params = dict(sr=sr, n_mels=n_mels, patch_frames=patch_frames, n_patches=n_patches,
                  clip_seconds=clip_seconds)
    return _extract(tracks, "logmel", params, n_jobs, cache_dir, verbose)


def feature_table_matrix(tracks: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)`` from the ``feat:`` columns of a feature-table dataset."""
    cols = [c for c in tracks.columns if c.startswith("feat:")]
    if not cols:
        raise ValueError("these tracks have no 'feat:' columns; load them with dataset='features'")
    return tracks[cols].to_numpy(np.float32), [c[5:] for c in cols]


# ============================================================================ figures
def save_figure(fig, name: str, results_dir: str | Path, dpi: int = 120) -> Path:
    """Save a matplotlib figure as ``<results_dir>/figures/<name>.png``; return the path."""
    path = Path(results_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
