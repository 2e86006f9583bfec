"""How large the conv VAE needs to be, and how long it needs to train, judged by the held-out ELBO.

    python benchmarks/conv_size.py [--data ../shared/data] [--sets demo gtzan_clips] [--seeds 2]

Size: the medium notebook's conv VAE (utils.ConvVAE with that notebook's default patches and
training settings, read from its parameters cell) is trained at every latent size in
``--latent-dims`` and channel width in ``--channels``, by the project's selection rule
(utils.fit_model: whole tracks held out, stopped by the held-out negative ELBO). The held-out
negative ELBO of the chosen epoch decides, without labels: the smallest model whose held-out
loss is within one seed-to-seed deviation of the best one is enough. Genre NMI (K-Means, k =
number of genres) is shown beside it, as what the choice means for the clusters, never used
to choose. Writes results/real/conv_size.csv.

Training length: the default size at the notebook's learning rate and at 1e-3, both for
``--long-epochs`` epochs, the held-out loss of every epoch: how many epochs each needs to
reach a given held-out loss. Writes results/real/conv_training_length.csv. The medium
notebook and the README show both.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import write_table  # noqa: E402
import utils  # noqa: E402

# set -> (dataset, path under the data root; None: the embedded demo)
SETS = {"demo": ("demo", None), "gtzan_clips": ("gtzan", "gtzan/audio_10x10"), "songs_en_de": ("folder", "songs_en_de")}


def medium_defaults() -> tuple[dict, dict]:
    """Return the medium notebook's default patch and training settings, from its parameters cell."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from tasks import notebook_parameters

    p = notebook_parameters("02_medium.ipynb")
    patches = dict(n_mels=p["N_MELS"], patch_frames=p["PATCH_FRAMES"], n_patches=p["N_PATCHES"],
                   hop_length=p["HOP_LENGTH"])
    training = dict(latent_dim=p["LATENT_DIM"], channels=p["CHANNELS"], epochs=p["EPOCHS"],
                    warmup_epochs=p["WARMUP_EPOCHS"], lr=p["LR"], batch_size=p["BATCH_SIZE"],
                    val_fraction=p["VAL_FRACTION"], patience=p["PATIENCE"], epoch_size=p["EPOCH_SIZE"], beta=p["BETA"])
    return patches, training


PATCHES, TRAINING = medium_defaults()


def _without(settings: dict, *names: str) -> dict:
    """Return the settings without the named ones (those that each run sets itself)."""
    return {k: v for k, v in settings.items() if k not in names}


def measure_size(tracks: pd.DataFrame, patches, latent_dims: list[int], channels: list[int],
                 seeds: int) -> pd.DataFrame:
    """Return one row per (latent size, channels, seed): held-out loss and its terms, epochs, genre NMI."""
    k, truth = tracks["genre"].nunique(), utils.known_labels(tracks)
    runs = [dict(seed=seed, latent_dim=d, channels=c, name=f"conv VAE latent {d}, {c} channels")
            for d in latent_dims for c in channels for seed in range(seeds)]
    fitted = utils.fit_models(utils.ConvVAE, patches, runs, n_tracks=len(tracks), n_mels=PATCHES["n_mels"],
                              n_frames=PATCHES["patch_frames"], **_without(TRAINING, "latent_dim", "channels"))
    rows = []
    for run, (model, history, chosen) in zip(runs, fitted):
        Z = utils.encode_mean(model, patches, n_tracks=len(tracks))
        scores = utils.evaluate(Z, utils.cluster(Z, "kmeans", k, run["seed"]), truth)
        rows.append({"latent_dim": run["latent_dim"], "channels": run["channels"], "seed": run["seed"],
                     "parameters": sum(p.numel() for p in model.parameters()),
                     **{c: chosen[c] for c in ("heldout_loss", "heldout_reconstruction", "heldout_kl",
                                               "selected_epoch", "epochs_run")},
                     "nmi_genre": scores["nmi_genre"]})
    return pd.DataFrame(rows)


def measure_length(tracks: pd.DataFrame, patches, lrs: list[float], epochs: int, seeds: int) -> pd.DataFrame:
    """Return the held-out loss of every epoch of the default model, per learning rate and seed,
    trained for ``epochs`` epochs (no early stop)."""
    runs = [dict(seed=seed, lr=lr, name=f"conv VAE lr {lr:g}") for lr in lrs for seed in range(seeds)]
    fitted = utils.fit_models(utils.ConvVAE, patches, runs, n_tracks=len(tracks), n_mels=PATCHES["n_mels"],
                              n_frames=PATCHES["patch_frames"],
                              **{**_without(TRAINING, "lr"), "epochs": epochs, "patience": epochs})
    return pd.concat([history[["epoch", "heldout_loss"]].assign(lr=run["lr"], seed=run["seed"])
                      for run, (_, history, _) in zip(runs, fitted)], ignore_index=True)


def enough(table: pd.DataFrame) -> pd.DataFrame:
    """Return per (latent size, channels) the mean and deviation of the held-out loss and NMI, and
    ``enough``: the smallest model (fewest parameters) whose mean held-out loss is within one
    seed-to-seed deviation of the best mean. Labels play no part."""
    summary = table.groupby(["latent_dim", "channels"]).agg(
        parameters=("parameters", "first"), heldout_loss=("heldout_loss", "mean"),
        heldout_loss_sd=("heldout_loss", "std"), selected_epoch=("selected_epoch", "mean"),
        nmi_genre=("nmi_genre", "mean"), nmi_genre_sd=("nmi_genre", "std")).reset_index()
    best = summary.loc[summary["heldout_loss"].idxmin()]
    within = summary[summary["heldout_loss"] <= best["heldout_loss"] + best["heldout_loss_sd"]]
    summary["enough"] = summary.index == within["parameters"].idxmin()
    return summary


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="*", default=["demo", "gtzan_clips"], choices=list(SETS))
    ap.add_argument("--latent-dims", nargs="*", type=int, default=[8, 16, 32, 64])
    ap.add_argument("--channels", nargs="*", type=int, default=[8, 16])
    ap.add_argument("--lrs", nargs="*", type=float, default=[1e-3, TRAINING["lr"]])
    ap.add_argument("--long-epochs", type=int, default=40, help="epochs of the training-length runs")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "conv_size.csv")
    ap.add_argument("--length-out", type=Path, default=ROOT / "results" / "real" / "conv_training_length.csv")
    args = ap.parse_args(argv)
    sizes, lengths = [], []
    for name in args.sets:
        dataset, rel = SETS[name]
        if rel is not None and not (args.data / rel).exists():
            print(f"{args.data / rel} not found: {name} skipped.")
            continue
        tracks, _ = utils.load_tracks(dataset, None if rel is None else args.data / rel, verbose=False)
        print(f"\n{name}: {len(tracks)} tracks, {tracks['genre'].nunique()} genres")
        patches = utils.standardize_patches(utils.extract_logmel_patches(tracks, **PATCHES))
        start = time.perf_counter()
        table = measure_size(tracks, patches, args.latent_dims, args.channels, args.seeds)
        summary = enough(table)
        print(summary.round(3).to_string(index=False))
        sizes.append(table.merge(summary[["latent_dim", "channels", "enough"]]).assign(set=name, tracks=len(tracks)))
        length = measure_length(tracks, patches, args.lrs, args.long_epochs, args.seeds)
        curve = length.groupby(["lr", "epoch"])["heldout_loss"].mean().unstack("lr")
        print("held-out loss by epoch (mean over seeds), per learning rate:")
        print(curve.iloc[4::5].round(1).to_string())
        lengths.append(length.assign(set=name))
        print(f"{name}: {time.perf_counter() - start:.0f} s")
    if not sizes:
        print("No data found: nothing measured.")
        return pd.DataFrame(), pd.DataFrame()
    size_table, length_table = pd.concat(sizes, ignore_index=True), pd.concat(lengths, ignore_index=True)
    write_table(size_table, args.out)
    write_table(length_table, args.length_out)
    return size_table, length_table


if __name__ == "__main__":
    main()
