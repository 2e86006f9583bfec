"""The decoder's variance, calibrated: the easy VAE at KL weights below 1 and at the sigma-VAE's weight.

    python benchmarks/calibrated_decoder.py [--data ../shared/data] [--sets ...] [--seeds 5]

The notebooks' decoder is a Gaussian with unit variance on standardized features. A Gaussian
decoder with a shared variance s2 gives the negative ELBO sum((x - x_hat)^2) / (2 s2) + KL + a
constant; times s2, that is the notebooks' loss with KL weight beta = s2. So a decoder whose
variance is learned (the sigma-VAE of Rybkin et al. 2021: one shared sigma, at its optimum the
mean squared error per value) trains as a beta-VAE with beta = that error, and a sweep of beta
below 1 is a sweep of decoder variances. Here the easy notebook's MLP VAE
(utils.EASY_VAE_SETTINGS) is trained at each beta in ``--betas`` and at the sigma-VAE's beta,
s2 = the held-out mean squared error per value of the beta = 1 model (one step of the
sigma-VAE's fixed point; label-free), by the project's held-out rule. Per set, beta and seed:
active units, held-out KL, held-out negative ELBO as trained, and the *calibrated* held-out
negative ELBO (each model's decoder variance set to its own held-out mean squared error,
comparable across betas), and genre NMI of K-Means on the latent against PCA with as many
components (paired per seed). Writes results/real/calibrated_decoder.csv,
results/real/calibrated_decoder_verdicts.csv and results/real/figures/calibrated_decoder.png;
the README shows them. ``--figure-only`` redraws the figure from the two committed tables.
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
from conv_size import SETS  # noqa: E402
import utils  # noqa: E402

FEATURE_SETS = {**SETS, "gtzan_features": ("features", "gtzan/features_30_sec.csv")}


def features(name: str, data: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Return a set's tracks and standardized features: the table's columns, else MFCC statistics (the easy notebook's)."""
    from sklearn.preprocessing import StandardScaler

    dataset, rel = FEATURE_SETS[name]
    tracks, _ = utils.load_tracks(dataset, None if rel is None else data / rel, verbose=False)
    X = utils.feature_table_matrix(tracks)[0] if dataset == "features" else utils.extract_mfcc_stats(tracks, verbose=False)[0]
    return tracks, StandardScaler().fit_transform(X).astype(np.float32)


def calibrated_loss(heldout_reconstruction: float, heldout_kl: float, n_values: int) -> float:
    """Return the held-out negative ELBO with the decoder variance set to the held-out mean squared error
    per value: D/2 (1 + log(2 pi s2)) + KL, with s2 = 2 * reconstruction / D (reconstruction = half the squared error)."""
    s2 = 2 * heldout_reconstruction / n_values
    return n_values / 2 * (1 + np.log(2 * np.pi * s2)) + heldout_kl


def measure_set(name: str, data: Path, betas: list[float], seeds: int) -> pd.DataFrame:
    """Return one row per (beta, seed) and method: NMI, and for the VAE its held-out terms and active units."""
    from sklearn.decomposition import PCA

    tracks, X = features(name, data)
    truth, k, dim = {"genre": tracks["genre"]}, tracks["genre"].nunique(), utils.EASY_VAE_SETTINGS["latent_dim"]
    settings = {key: v for key, v in utils.EASY_VAE_SETTINGS.items() if key != "beta"}
    unit = utils.fit_models(utils.VAE, X, [dict(seed=s, beta=1.0) for s in range(seeds)], verbose=False, **settings)
    sigma_beta = float(np.mean([2 * chosen["heldout_reconstruction"] / X.shape[1] for _, _, chosen in unit]))
    runs = [dict(seed=s, beta=b) for b in [*betas, sigma_beta] for s in range(seeds)]
    fitted = utils.fit_models(utils.VAE, X, runs, verbose=False, **settings)
    rows = []
    for run, (model, _, chosen) in zip(runs, fitted):
        Z = utils.encode_mean(model, X)
        label = "sigma-VAE" if run["beta"] == sigma_beta else f"beta={run['beta']:g}"
        for method, space in ((f"VAE {label}", Z), ("PCA", PCA(dim, random_state=run["seed"]).fit_transform(X))):
            nmi = utils.evaluate(space, utils.cluster(space, "kmeans", k, run["seed"]), truth)["nmi_genre"]
            vae = method.startswith("VAE")
            rows.append({"set": name, "tracks": len(tracks), "model": label, "beta": run["beta"], "seed": run["seed"],
                         "method": method, "nmi_genre": nmi,
                         "active_units": utils.active_units(Z) if vae else np.nan,
                         "heldout_kl": chosen["heldout_kl"] if vae else np.nan,
                         "heldout_loss": chosen["heldout_loss"] if vae else np.nan,
                         "calibrated_heldout_loss": calibrated_loss(chosen["heldout_reconstruction"],
                                                                    chosen["heldout_kl"], X.shape[1]) if vae else np.nan})
    return pd.DataFrame(rows)


def plot(scores: pd.DataFrame, verdicts: pd.DataFrame):
    """Return two panels against beta, one line per set: VAE - PCA genre NMI (paired mean and 95%
    interval) and the held-out KL; the sigma-VAE's point is a square at its own beta."""
    import matplotlib.pyplot as plt

    kl = scores[scores["method"] != "PCA"].groupby(["set", "model"], sort=False)["heldout_kl"].mean()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for (name, part), color in zip(verdicts.groupby("set", sort=False), plt.get_cmap("tab10").colors):
        for sigma, style in ((False, dict(marker="o", ls="-")), (True, dict(marker="s", ls="none", ms=7))):
            rows = part[(part["model"] == "sigma-VAE") == sigma].sort_values("beta")
            left.errorbar(rows["beta"], rows["mean_difference"], capsize=3, color=color, **style,
                          yerr=[rows["mean_difference"] - rows["ci_low"], rows["ci_high"] - rows["mean_difference"]],
                          label=None if sigma else name)
            right.plot(rows["beta"], [kl[(name, m)] for m in rows["model"]], color=color, **style)
    left.axhline(0, color="grey", lw=1, ls=":")
    left.set(xscale="log", xlabel="KL weight beta (= decoder variance)", ylabel="genre NMI, VAE - PCA",
             title="Clusters: VAE minus PCA (square: sigma-VAE)")
    right.set(xscale="log", xlabel="KL weight beta (= decoder variance)", ylabel="held-out KL (nats)",
              title="Information in the latent")
    for ax in (left, right):
        ax.set_xticks([0.1, 0.3, 1.0], ["0.1", "0.3", "1"])
        ax.minorticks_off()
    left.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="*", default=["gtzan_features", "gtzan_clips", "songs_en_de", "demo"],
                    choices=list(FEATURE_SETS))
    ap.add_argument("--betas", nargs="*", type=float, default=[0.1, 0.3, 1.0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "calibrated_decoder.csv")
    ap.add_argument("--figure-only", action="store_true", help="redraw the figure from the tables at --out")
    args = ap.parse_args(argv)
    verdicts_path = args.out.with_name("calibrated_decoder_verdicts.csv")
    if args.figure_only:
        scores, verdicts = pd.read_csv(args.out), pd.read_csv(verdicts_path)
        utils.save_figure(plot(scores, verdicts), "calibrated_decoder", args.out.parent)
        return scores, verdicts
    tables = []
    for name in available_sets(args.sets, FEATURE_SETS, args.data):
        tables.append(measure_set(name, args.data, args.betas, args.seeds))
        print(f"\n{name}:\n" + tables[-1].groupby(["model", "method"], sort=False)[
            ["nmi_genre", "active_units", "heldout_kl", "heldout_loss", "calibrated_heldout_loss"]].mean().round(3)
            .to_string())
    if not tables:
        print("No data found: nothing measured.")
        return pd.DataFrame(), pd.DataFrame()
    scores = pd.concat(tables, ignore_index=True)
    verdicts = []
    for (name, model), part in scores.groupby(["set", "model"], sort=False):
        pair = part.assign(method=part["method"].where(part["method"] == "PCA", "VAE"))
        verdicts.append(utils.paired_differences(pair, "VAE", ["PCA"], ["nmi_genre"])
                        .assign(set=name, model=model, beta=part["beta"].iloc[0]))
    verdicts = pd.concat(verdicts, ignore_index=True)
    print(verdicts[["set", "model", "beta", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high",
                    "verdict"]].round(3).to_string(index=False))
    write_table(scores, args.out)
    write_table(verdicts, verdicts_path)
    utils.save_figure(plot(scores, verdicts), "calibrated_decoder", args.out.parent)
    return scores, verdicts


if __name__ == "__main__":
    main()
