"""Directions for a VAE pipeline on the real GTZAN feature table, each against PCA + K-Means, paired over seeds.

    python benchmarks/real_vae_directions.py [--table ../shared/data/gtzan/features_30_sec.csv] [--seeds 5]

Every pipeline is label-free: the MLP VAE of utils.EASY_VAE_SETTINGS (latent size 16, the
held-out stopping rule; utils.fit_easy_vae; the easy notebook's own size choice on this table is
in its model_selection.csv), its latent means clustered by K-Means directly, after UMAP to a few
dimensions (a common clustering-friendly step), or by a Gaussian mixture; PCA with as many
components as the latent, through the same steps, is the matching baseline, so a gain that
UMAP or the mixture gives PCA as well is not credited to the VAE. Genre labels only score.
Prints the genre NMI of each pipeline (mean ± sd) and the paired verdicts against PCA + K-Means,
and writes the verdicts to results/real/vae_directions.csv (the README shows them).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import utils  # noqa: E402


def umap_reduce(Z: np.ndarray, seed: int, n_components: int = 8) -> np.ndarray:
    """Return a UMAP embedding of Z for clustering (more neighbours, no spread: compact groups)."""
    import umap

    return umap.UMAP(n_components=n_components, n_neighbors=30, min_dist=0.0, random_state=seed,
                     n_jobs=1).fit_transform(Z)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", type=Path, default=ROOT.parent / "shared" / "data" / "gtzan" / "features_30_sec.csv")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "vae_directions.csv")
    args = ap.parse_args(argv)
    if not args.table.exists():
        print(f"{args.table} not found: nothing measured.")
        return pd.DataFrame()
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    tracks, _ = utils.load_tracks("features", args.table, verbose=False)
    X = StandardScaler().fit_transform(utils.feature_table_matrix(tracks)[0]).astype(np.float32)
    k, truth = tracks["genre"].nunique(), {"genre": tracks["genre"]}
    rows = []
    for seed in range(args.seeds):
        model, _, _ = utils.fit_easy_vae(X, seed, verbose=False)
        vae = utils.encode_mean(model, X)
        pca = PCA(vae.shape[1], random_state=seed).fit_transform(X)
        spaces = {"VAE": vae, "PCA": pca}
        for name, Z in spaces.items():
            for step, run in [("K-Means", lambda z: utils.cluster(z, "kmeans", k, seed)),
                              ("GMM", lambda z: utils.cluster(z, "gmm", k, seed)),
                              ("UMAP + K-Means", lambda z: utils.cluster(umap_reduce(z, seed), "kmeans", k, seed))]:
                labels = run(Z)
                rows.append({"method": f"{name} + {step}", "seed": seed,
                             "nmi_genre": utils.evaluate(Z, labels, truth)["nmi_genre"]})
        print(f"seed {seed}: " + ", ".join(f"{r['method']} {r['nmi_genre']:.3f}" for r in rows[-6:]), flush=True)
    scores = pd.DataFrame(rows)
    print("\nGenre NMI, mean ± sd over seeds:")
    print(scores.groupby("method")["nmi_genre"].agg(["mean", "std"]).round(3).to_string())
    others = [m for m in scores["method"].unique() if m != "PCA + K-Means"]
    print("\nPaired against PCA + K-Means:")
    table = pd.concat([utils.paired_differences(scores, m, ["PCA + K-Means"], ["nmi_genre"]) for m in others])
    print(table[["target", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high", "verdict"]]
          .round(3).to_string(index=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}")
    return scores


if __name__ == "__main__":
    main()
