"""Audio features for the notebooks: MFCC statistics and log-mel patches, computed in parallel
workers and cached (``utils.extract_mfcc_stats`` and ``utils.extract_logmel_patches`` call these)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data import caching, loading
from data.loading import SR

HOP = 512             # STFT hop (23 ms at 22.05 kHz)
N_FFT = 2048


def mfcc_feature_names(n_mfcc: int = 40) -> list[str]:
    """Return the names of the columns that :func:`mfcc_stats` returns, in order."""
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


def mfcc_stats(y: np.ndarray, sr: int = SR, n_mfcc: int = 40) -> np.ndarray:
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


def logmel_patches(y: np.ndarray, sr: int = SR, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8, hop_length: int = HOP) -> np.ndarray:
    """Return ``n_patches`` log-mel patches (dB) of shape (n_mels, patch_frames), evenly spaced over the clip.

    A patch covers ``patch_frames * hop_length / sr`` seconds (128 x 512 at 22.05 kHz: 3 s).
    """
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=hop_length, n_mels=n_mels)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    logmel = np.maximum(logmel, -100.0)
    if logmel.shape[1] < patch_frames:
        raise ValueError(f"clip has {logmel.shape[1]} frames, fewer than patch_frames={patch_frames} "
                         f"({patch_frames * hop_length / sr:.2f} s); raise min_duration in load_tracks")
    starts = np.linspace(0, logmel.shape[1] - patch_frames, n_patches).round().astype(int)
    return np.stack([logmel[:, s:s + patch_frames] for s in starts]).astype(np.float32)


def features_for_path(path: str, kinds: tuple[str, ...], params: dict) -> dict:
    """Load one file and compute the requested feature kinds (worker function).

    BLAS is held to one thread so that the floating-point sums, and hence the features,
    are the same whatever the number of workers.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        try:
            y = loading.load_audio(path, params["sr"], params["clip_seconds"])
            out = {}
            if "mfcc" in kinds:
                out["mfcc"] = mfcc_stats(y, params["sr"], params["n_mfcc"])
            if "logmel" in kinds:
                out["logmel"] = logmel_patches(y, params["sr"], params["n_mels"], params["patch_frames"],
                                                       params["n_patches"], params.get("hop_length", HOP))
        except Exception as exc:   # name the file: a worker's traceback alone does not
            raise RuntimeError(f"{loading._printable(path)}: {exc}") from exc
    return out


def extract(tracks: pd.DataFrame, kind: str, params: dict, n_jobs: int,
             cache_dir: Path | str | None, verbose: bool) -> np.ndarray:
    """Compute one feature kind for every track, in parallel, cached; rows follow ``tracks``."""
    if tracks["path"].fillna("").eq("").any():
        raise ValueError("some tracks have no audio path (a feature-only table?): "
                         "use feature_table_matrix(tracks) for such data")

    def compute():
        from joblib import Parallel, delayed
        jobs = (delayed(features_for_path)(p, (kind,), params) for p in tracks["path"])
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        rows = [r[kind] for r in caching.progress(results, total=len(tracks), desc=f"{kind} features",
                                      disable=not verbose)]
        return {kind: np.stack(rows)}

    return caching.cached(kind, {"kind": kind, **params}, tracks, compute, cache_dir, verbose,
                          check=caching.expect_rows(len(tracks), kind))[kind]
