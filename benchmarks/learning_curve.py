"""Would more data let the VAE overtake PCA? VAE minus PCA genre NMI against the number of training tracks.

    python benchmarks/learning_curve.py [--table ../shared/data/gtzan/features_30_sec.csv] [--seeds 5]

On the GTZAN feature table (1,000 tracks), for each fraction in ``--fractions``: per seed, a
random subset of that share of the tracks (drawn by the seed, blind to the labels), the
features standardized on it, the easy notebook's MLP VAE (utils.EASY_VAE_SETTINGS, stopped by
the project's held-out rule) and PCA with as many components as its latent, each clustered by
K-Means with k = 10 on the subset. The same subset and seed for both, so the per-seed
differences are paired. Writes results/real/learning_curve.csv (one row per fraction: paired
difference, its interval and the verdict) and results/real/figures/learning_curve.png; the
README shows both.
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


def subsets(n_tracks: int, fractions: list[float], seeds: int) -> list[dict]:
    """Return one run per (fraction, seed): the seeded random rows of that share of the tracks."""
    runs = []
    for fraction in fractions:
        size = int(round(fraction * n_tracks))
        for seed in range(seeds):
            rows = np.sort(np.random.default_rng([seed, 23]).permutation(n_tracks)[:size])
            runs.append({"fraction": fraction, "seed": seed, "rows": rows})
    return runs


def measure(X_raw: np.ndarray, genres: pd.Series, runs: list[dict]) -> pd.DataFrame:
    """Return the genre NMI of VAE + K-Means and PCA + K-Means for every run (fraction, seed)."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    settings = utils.EASY_VAE_SETTINGS
    data = [StandardScaler().fit_transform(X_raw[run["rows"]]).astype(np.float32) for run in runs]
    from joblib import Parallel, delayed

    # one model per core, each on one thread (as utils.fit_models trains), each on its own subset
    fitted = Parallel(n_jobs=-1)(delayed(utils.fit_model)(utils.VAE, X, run["seed"], verbose=False, **settings)
                                 for X, run in zip(data, runs))
    rows = []
    for run, X, (model, _, chosen) in zip(runs, data, fitted):
        truth, k = {"genre": genres.iloc[run["rows"]].reset_index(drop=True)}, genres.nunique()
        spaces = {"VAE + K-Means": utils.encode_mean(model, X),
                  "PCA + K-Means": PCA(settings["latent_dim"], random_state=run["seed"]).fit_transform(X)}
        for method, Z in spaces.items():
            nmi = utils.evaluate(Z, utils.cluster(Z, "kmeans", k, run["seed"]), truth)["nmi_genre"]
            rows.append({"fraction": run["fraction"], "tracks": len(X), "seed": run["seed"], "method": method,
                         "nmi_genre": nmi, "selected_epoch": chosen["selected_epoch"]})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame):
    """Return the paired difference VAE - PCA (mean and 95% interval) against the number of tracks."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.errorbar(table["tracks"], table["mean_difference"],
                yerr=[table["mean_difference"] - table["ci_low"], table["ci_high"] - table["mean_difference"]],
                marker="o", capsize=4, color="#1f5fa8")
    ax.axhline(0, color="grey", lw=1, ls=":")
    ax.set(xscale="log", xlabel="training tracks (GTZAN feature table)", ylabel="genre NMI, VAE - PCA",
           title="Learning curve: VAE + K-Means minus PCA + K-Means")
    ax.set_xticks(table["tracks"], [str(t) for t in table["tracks"]])
    ax.minorticks_off()
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", type=Path, default=ROOT.parent / "shared" / "data" / "gtzan" / "features_30_sec.csv")
    ap.add_argument("--fractions", nargs="*", type=float, default=[0.125, 0.25, 0.5, 1.0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "learning_curve.csv")
    args = ap.parse_args(argv)
    if not args.table.exists():
        print(f"{args.table} not found: the learning curve is skipped.")
        return pd.DataFrame()
    tracks, _ = utils.load_tracks("features", args.table, verbose=False)
    X_raw, _ = utils.feature_table_matrix(tracks)
    scores = measure(X_raw, tracks["genre"], subsets(len(tracks), args.fractions, args.seeds))
    table = pd.concat([utils.paired_differences(part, "VAE + K-Means", ["PCA + K-Means"], ["nmi_genre"])
                      .assign(fraction=fraction, tracks=int(part["tracks"].iloc[0]))
                      for fraction, part in scores.groupby("fraction")], ignore_index=True)
    print(table[["tracks", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high", "verdict"]]
          .round(3).to_string(index=False))
    write_table(table, args.out)
    utils.save_figure(plot(table), "learning_curve", args.out.parent)
    print(f"wrote {args.out.parent / 'figures' / 'learning_curve.png'}")
    return table


if __name__ == "__main__":
    main()
