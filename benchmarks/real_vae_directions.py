"""Directions for a VAE pipeline on the real GTZAN feature table, each against PCA + K-Means, paired over seeds.

    python benchmarks/real_vae_directions.py [--table ../shared/data/gtzan/features_30_sec.csv] [--seeds 5]

Every pipeline is label-free: the MLP VAE of utils.EASY_VAE_SETTINGS (latent size 16, the
held-out stopping rule; utils.fit_model; the easy notebook's own size choice on this table is
in its model_selection.csv), its latent means clustered by K-Means directly, after UMAP to a few
dimensions (a common clustering-friendly step), or by a Gaussian mixture; PCA with as many
components as the latent, through the same steps, is the matching baseline, so a gain that
UMAP or the mixture gives PCA as well is not credited to the VAE. Also a VAE with a clustering
prior, VaDE (Jiang et al. 2017): a Gaussian-mixture prior with k components, started from a
mixture fitted to the latent means of the same MLP trained as an autoencoder (KL weight 0; with the
KL term its latent has too few active units and the mixture collapses to a few components), then
trained on the ELBO under that prior, stopped by the held-out ELBO; its clusters are the most
likely components. Genre labels only score.
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
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import write_table  # noqa: E402
import utils  # noqa: E402


def umap_reduce(Z: np.ndarray, seed: int, n_components: int = 8) -> np.ndarray:
    """Return a UMAP embedding of Z for clustering (more neighbours, no spread: compact groups)."""
    import umap

    return umap.UMAP(n_components=n_components, n_neighbors=30, min_dist=0.0, random_state=seed,
                     n_jobs=1).fit_transform(Z)


def fit_vade(X: np.ndarray, k: int, seed: int, epochs: int = 100, patience: int = 15, lr: float = 5e-4,
             batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Return (latent means, cluster of each row) of a VaDE: the easy MLP trained as an autoencoder,
    a diagonal Gaussian mixture of k equally weighted components fitted to its latent means as the
    prior, then encoder, decoder and prior trained on the ELBO under that prior; the epoch with the
    lowest held-out ELBO (the tracks fit_model holds out) is kept. No label is used."""
    import math

    import torch
    from sklearn.mixture import GaussianMixture

    model, _, _ = utils.fit_model(utils.VAE, X, seed, name="autoencoder for VaDE", verbose=False,
                                 **{**utils.EASY_VAE_SETTINGS, "beta": 0.0})
    held = utils._split_tracks(len(X), utils.EASY_VAE_SETTINGS["val_fraction"], seed)
    start = GaussianMixture(k, covariance_type="diag", n_init=5, random_state=seed).fit(utils.encode_mean(model, X[~held]))
    means = torch.nn.Parameter(torch.tensor(start.means_, dtype=torch.float32))
    logvars = torch.nn.Parameter(torch.log(torch.tensor(start.covariances_, dtype=torch.float32)))
    log_2pi = math.log(2 * math.pi)

    def loss_and_gamma(x, z, mu, logvar, x_hat):
        log_pz_c = -0.5 * (((z[:, None] - means) ** 2) / logvars.exp() + logvars + log_2pi).sum(-1) - math.log(k)
        gamma = torch.softmax(log_pz_c, dim=1)   # p(c | z)
        expected = -0.5 * (logvars + (logvar.exp()[:, None] + (mu[:, None] - means) ** 2) / logvars.exp()
                           + log_2pi).sum(-1) - math.log(k)   # E_q log p(z | c) p(c)
        kl = -(gamma * (expected - torch.log(gamma + 1e-10))).sum(1) - 0.5 * (1 + logvar + log_2pi).sum(1)
        return (0.5 * ((x_hat - x) ** 2).sum(1) + kl).mean(), gamma

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([*model.parameters(), means, logvars], lr=lr)
    train, val = torch.tensor(X[~held]), torch.tensor(X[held])
    best, best_epoch, best_state = np.inf, 0, None
    for epoch in range(1, epochs + 1):
        model.train()
        for idx in torch.randperm(len(train), generator=generator).split(batch_size):
            out = model(train[idx])
            z = utils.reparameterize(out.mu, out.logvar)
            loss, _ = loss_and_gamma(train[idx], z, out.mu, out.logvar, model.decode(z))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            mu, logvar = model.encode(val)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
            heldout = loss_and_gamma(val, z, mu, logvar, model.decode(z))[0].item()
        if heldout < best:
            best, best_epoch = heldout, epoch
            best_state = ({k_: v.clone() for k_, v in model.state_dict().items()}, means.detach().clone(),
                          logvars.detach().clone())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state[0])
    model.eval()
    with torch.no_grad():
        means.copy_(best_state[1])
        logvars.copy_(best_state[2])
        mu, logvar = model.encode(torch.tensor(X))
        log_density = -0.5 * (((mu[:, None] - means) ** 2) / logvars.exp() + logvars).sum(-1)   # equal weights
    return mu.numpy(), log_density.argmax(1).numpy()


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
        model, _, _ = utils.fit_model(utils.VAE, X, seed, verbose=False, **utils.EASY_VAE_SETTINGS)
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
        vade_z, vade_labels = fit_vade(X, k, seed)
        rows.append({"method": "VaDE (mixture prior)", "seed": seed,
                     "nmi_genre": utils.evaluate(vade_z, vade_labels, truth)["nmi_genre"]})
        print(f"seed {seed}: " + ", ".join(f"{r['method']} {r['nmi_genre']:.3f}" for r in rows[-7:]), flush=True)
    scores = pd.DataFrame(rows)
    print("\nGenre NMI, mean ± sd over seeds:")
    print(scores.groupby("method")["nmi_genre"].agg(["mean", "std"]).round(3).to_string())
    others = [m for m in scores["method"].unique() if m != "PCA + K-Means"]
    print("\nPaired against PCA + K-Means:")
    table = pd.concat([utils.paired_differences(scores, m, ["PCA + K-Means"], ["nmi_genre"]) for m in others])
    print(table[["target", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high", "verdict"]]
          .round(3).to_string(index=False))
    write_table(table, args.out)
    return scores


if __name__ == "__main__":
    main()
