"""Would more data let the segment-trained VAE overtake PCA? Its learning curve on the real audio sets.

    python benchmarks/segment_learning_curve.py [--data ../shared/data] [--seeds 5] [--fractions 0.25 0.5 1]

The audio sets are small (100 GTZAN clips, 200 songs), so the VAE of benchmarks/real_segment_vae.py
trains on 8 segments of 3 s per track. Here, for each fraction in ``--fractions``: per seed, a
random subset of that share of the tracks (drawn by the seed, blind to the labels, as in
benchmarks/learning_curve.py), the segments' statistics standardized on it, the easy notebook's
MLP VAE (utils.EASY_VAE_SETTINGS) trained on them by the held-out rule (whole tracks held out)
and PCA of the same segments with as many components: the matched baseline. Both are averaged
per track and clustered by K-Means with k = the number of genres in the set. The same subset and
seed for both, so the differences are paired. Writes results/real/segment_learning_curve.csv
(one row per set and fraction) and results/real/figures/segment_learning_curve.png.
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
from common import available_sets, write_table  # noqa: E402
from learning_curve import subsets  # noqa: E402
from real_segment_vae import SETS, segment_mfcc_stats  # noqa: E402
import utils  # noqa: E402
from data import caching  # noqa: E402


def all_segments(tracks: pd.DataFrame, n_segments: int) -> np.ndarray:
    """Return (n_tracks, n_segments, n_features): the segment statistics of every track, in parallel."""
    from joblib import Parallel, delayed

    jobs = (delayed(segment_mfcc_stats)(p, n_segments) for p in tracks["path"])
    return np.stack(list(caching.progress(Parallel(n_jobs=-1, return_as="generator")(jobs), total=len(tracks),
                                          desc="segment features")))


def measure(segments: np.ndarray, genres: pd.Series, runs: list[dict]) -> pd.DataFrame:
    """Return the genre NMI of the segment VAE and of segment PCA, averaged per track, for every run."""
    from joblib import Parallel, delayed
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    settings, n_segments = utils.EASY_VAE_SETTINGS, segments.shape[1]
    data = [StandardScaler().fit_transform(segments[run["rows"]].reshape(len(run["rows"]) * n_segments, -1))
            .astype(np.float32) for run in runs]
    # one model per core, each on one thread (as utils.fit_models trains), each on its own subset
    fitted = Parallel(n_jobs=-1)(delayed(utils.fit_model)(utils.VAE, X, run["seed"], n_tracks=len(run["rows"]),
                                                          verbose=False, **settings) for X, run in zip(data, runs))
    rows = []
    for run, X, (model, _, chosen) in zip(runs, data, fitted):
        n = len(run["rows"])
        truth, k = {"genre": genres.iloc[run["rows"]].reset_index(drop=True)}, genres.nunique()
        spaces = {"VAE on segments + K-Means": utils.encode_mean(model, X),
                  "PCA on segments + K-Means": PCA(settings["latent_dim"], random_state=run["seed"]).fit_transform(X)}
        for method, Z in spaces.items():
            Z = Z.reshape(n, n_segments, -1).mean(axis=1)
            nmi = utils.evaluate(Z, utils.cluster(Z, "kmeans", k, run["seed"]), truth)["nmi_genre"]
            rows.append({"fraction": run["fraction"], "tracks": n, "seed": run["seed"], "method": method,
                         "nmi_genre": nmi, "selected_epoch": chosen["selected_epoch"]})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame):
    """Return the paired difference VAE - PCA (mean and 95% interval) against the tracks, one line per set."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    for (name, part), color in zip(table.groupby("set", sort=False), ["#1f5fa8", "#c2571a"]):
        ax.errorbar(part["tracks"], part["mean_difference"], capsize=4, marker="o", color=color, label=name,
                    yerr=[part["mean_difference"] - part["ci_low"], part["ci_high"] - part["mean_difference"]])
    ax.axhline(0, color="grey", lw=1, ls=":")
    ax.set(xscale="log", xlabel="training tracks (8 segments of 3 s each)", ylabel="genre NMI, VAE - PCA",
           title="Segment VAE minus PCA of the same segments")
    ticks = sorted(set(table["tracks"]))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--fractions", nargs="*", type=float, default=[0.25, 0.5, 1.0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--segments", type=int, default=8, help="segments per track")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "segment_learning_curve.csv")
    args = ap.parse_args(argv)
    tables = []
    for name in available_sets(list(SETS), SETS, args.data):
        dataset, rel = SETS[name]
        tracks, _ = utils.load_tracks(dataset, args.data / rel, verbose=False)
        print(f"\n{name}: {len(tracks)} tracks, {tracks['genre'].nunique()} genres")
        scores = measure(all_segments(tracks, args.segments), tracks["genre"],
                         subsets(len(tracks), args.fractions, args.seeds))
        tables += [utils.paired_differences(part, "VAE on segments + K-Means", ["PCA on segments + K-Means"],
                                            ["nmi_genre"]).assign(set=name, fraction=fraction,
                                                                  tracks=int(part["tracks"].iloc[0]))
                   for fraction, part in scores.groupby("fraction")]
    if not tables:
        print("No real audio found: nothing measured.")
        return pd.DataFrame()
    table = pd.concat(tables, ignore_index=True)
    print(table[["set", "tracks", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high", "verdict"]]
          .round(3).to_string(index=False))
    write_table(table, args.out)
    utils.save_figure(plot(table), "segment_learning_curve", args.out.parent)
    print(f"wrote {args.out.parent / 'figures' / 'segment_learning_curve.png'}")
    return table


if __name__ == "__main__":
    main()
