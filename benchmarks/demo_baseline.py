"""Print how long the demo takes to build and featurise, and how hard it is to cluster.

    python benchmarks/demo_baseline.py                 # uses data/demo/full (built if missing)
    python benchmarks/demo_baseline.py --time-build    # also times a fresh build in a temp folder

K-Means on standardized MFCC statistics, k = number of genres, 5 seeds: genre NMI should be
neither near 0 nor near 1; language NMI should be near 0 (language is independent of genre).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))

import make_demo  # noqa: E402
import utils  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="full", choices=sorted(make_demo.PRESETS))
    ap.add_argument("--time-build", action="store_true", help="time a fresh build into a temp folder")
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.preprocessing import StandardScaler

    if args.time_build:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            make_demo.build(args.preset, Path(tmp), quiet=True)
            print(f"fresh build of '{args.preset}': {time.perf_counter() - t:.1f} s")
    tracks, skipped = utils.load_tracks("demo", preset=args.preset)
    t = time.perf_counter()
    X, _ = utils.extract_mfcc_stats(tracks)
    t_mfcc = time.perf_counter() - t
    t = time.perf_counter()
    patches = utils.extract_logmel_patches(tracks)
    t_mel = time.perf_counter() - t
    print(f"MFCC statistics {X.shape} in {t_mfcc:.1f} s; log-mel patches {patches.shape} in {t_mel:.1f} s")
    Z = StandardScaler().fit_transform(X)
    k = tracks["genre"].nunique()
    scores = {"genre": [], "language": []}
    for seed in range(args.seeds):
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
        for col in scores:
            scores[col].append(normalized_mutual_info_score(tracks[col], labels))
    for col, vals in scores.items():
        print(f"K-Means (k={k}) on standardized MFCC statistics: {col} NMI "
              f"{np.mean(vals):.3f} ± {np.std(vals):.3f} over {args.seeds} seeds")


if __name__ == "__main__":
    main()
