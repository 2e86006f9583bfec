"""Segment-level training on real audio: the MLP VAE trained on 3-s segments, latents averaged per track.

    python benchmarks/real_segment_vae.py [--data ../shared/data] [--seeds 5] [--segments 8]

The easy notebook's VAE sees one MFCC-statistics vector per track: 100 rows on the GTZAN clips,
200 on the songs. Here each track gives ``--segments`` windows of ``--segment-seconds`` (evenly
spaced over the clip, as the conv VAE's patches; overlapping where a clip is short), each
described by the same statistics (features.mfcc_stats), so the VAE of
utils.EASY_VAE_SETTINGS trains on 8 times as many rows; a track's representation is the mean of
its segments' latent means. Training stops by the project's held-out rule (utils.fit_model;
whole tracks held out), and nothing else is chosen: no label is used except to score.

Baselines in the same run and seeds: PCA + K-Means on the track vectors (the notebooks' row),
the same VAE on the track vectors, and PCA of the segments averaged per track, the matching
baseline: a gain that averaging segments gives PCA as well is not credited to the VAE.
Prints genre NMI per pipeline (mean ± sd) and paired verdicts, and writes them to
results/real/segment_directions.csv (the README shows them). A set whose audio is absent is skipped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import write_table  # noqa: E402
import utils  # noqa: E402
from data import caching, features, loading  # noqa: E402

SETS = {"gtzan_clips": ("gtzan", "gtzan/audio_10x10"), "songs_en_de": ("folder", "songs_en_de")}
PAIRS = [("VAE on segments + K-Means", "PCA + K-Means"), ("VAE on segments + K-Means", "PCA on segments + K-Means"),
         ("VAE on segments + K-Means", "VAE + K-Means"), ("PCA on segments + K-Means", "PCA + K-Means")]


def segment_mfcc_stats(path: str, n_segments: int = 8, seconds: float = 3.0, sr: int = utils.SR) -> np.ndarray:
    """Return (n_segments, n_features): features.mfcc_stats of ``n_segments`` windows of
    ``seconds``, evenly spaced from the start to the end of the (central 30 s of the) clip."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):   # the same sums, hence the same features, whatever the number of workers
        y = loading.load_audio(path, sr, 30.0)
        length = int(seconds * sr)
        if len(y) < length:
            raise ValueError(f"{path}: {len(y) / sr:.1f} s, shorter than one {seconds:g}-s segment")
        starts = np.linspace(0, len(y) - length, n_segments).round().astype(int)
        return np.stack([features.mfcc_stats(y[s:s + length], sr) for s in starts])


def measure_set(tracks: pd.DataFrame, seeds: int, n_segments: int, seconds: float) -> pd.DataFrame:
    """Return genre NMI per pipeline and seed on one set of tracks (see the module's docstring)."""
    from joblib import Parallel, delayed
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    n = len(tracks)
    jobs = (delayed(segment_mfcc_stats)(p, n_segments, seconds) for p in tracks["path"])
    segments = np.stack(list(caching.progress(Parallel(n_jobs=-1, return_as="generator")(jobs), total=n,
                                            desc="segment features")))
    X_seg = StandardScaler().fit_transform(segments.reshape(n * n_segments, -1)).astype(np.float32)
    X_track = StandardScaler().fit_transform(utils.extract_mfcc_stats(tracks, verbose=False)[0]).astype(np.float32)
    k, truth, dim = tracks["genre"].nunique(), {"genre": tracks["genre"]}, utils.EASY_VAE_SETTINGS["latent_dim"]

    def per_track(Z):
        return Z.reshape(n, n_segments, -1).mean(axis=1)

    rows = []
    for seed in range(seeds):
        on_segments, _, chosen = utils.fit_model(utils.VAE, X_seg, seed, name="VAE on segments", n_tracks=n,
                                                  verbose=False, **utils.EASY_VAE_SETTINGS)
        on_tracks, _, _ = utils.fit_model(utils.VAE, X_track, seed, verbose=False, **utils.EASY_VAE_SETTINGS)
        spaces = {"VAE on segments + K-Means": per_track(utils.encode_mean(on_segments, X_seg)),
                  "VAE + K-Means": utils.encode_mean(on_tracks, X_track),
                  "PCA on segments + K-Means": per_track(PCA(dim, random_state=seed).fit_transform(X_seg)),
                  "PCA + K-Means": PCA(dim, random_state=seed).fit_transform(X_track)}
        for method, Z in spaces.items():
            labels = utils.cluster(Z, "kmeans", k, seed)
            rows.append({"method": method, "seed": seed, "nmi_genre": utils.evaluate(Z, labels, truth)["nmi_genre"],
                         "selected_epoch": chosen["selected_epoch"] if method.startswith("VAE on segments") else np.nan})
        print(f"seed {seed}: " + ", ".join(f"{r['method']} {r['nmi_genre']:.3f}" for r in rows[-4:]), flush=True)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--segments", type=int, default=8, help="segments per track")
    ap.add_argument("--segment-seconds", type=float, default=3.0)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "segment_directions.csv")
    args = ap.parse_args(argv)
    tables = []
    for name, (dataset, rel) in SETS.items():
        if not (args.data / rel).exists():
            print(f"{args.data / rel} not found: {name} skipped.")
            continue
        tracks, _ = utils.load_tracks(dataset, args.data / rel, verbose=False)
        print(f"\n{name}: {len(tracks)} tracks, {tracks['genre'].nunique()} genres, "
              f"{args.segments} segments of {args.segment_seconds:g} s each")
        scores = measure_set(tracks, args.seeds, args.segments, args.segment_seconds)
        print(scores.groupby("method", sort=False)["nmi_genre"].agg(["mean", "std"]).round(3).to_string())
        print(f"epochs chosen by the held-out rule (VAE on segments): {scores['selected_epoch'].dropna().astype(int).tolist()}")
        table = pd.concat([utils.paired_differences(scores, target, [other], ["nmi_genre"]) for target, other in PAIRS])
        tables.append(table.assign(set=name, tracks=len(tracks), segments=args.segments,
                                   segment_seconds=args.segment_seconds))
    if not tables:
        print("No real audio found: nothing measured.")
        return pd.DataFrame()
    table = pd.concat(tables, ignore_index=True)
    print("\nPaired per-seed differences, genre NMI:")
    print(table[["set", "target", "other", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high",
                 "verdict"]].round(3).to_string(index=False))
    write_table(table, args.out)
    return table


if __name__ == "__main__":
    main()
