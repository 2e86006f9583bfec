"""What the three notebooks cost at GTZAN scale (1,000 tracks of 30 s) on this machine, measured per unit and scaled.

    python benchmarks/cost_at_scale.py [--tracks 1000] [--sample 16]

Measures on real clips (../shared/data/songs_en_de, 30-s previews; else the demo), with the
notebooks' settings: decoding + MFCC statistics + log-mel patches per track, Whisper base
transcription per track (which also yields the encoder embedding), the Whisper encoder alone
per track (tracks with known lyrics), and one conv VAE epoch at --tracks (the medium notebook's parameters:
one thread, batch 64, at most EPOCH_SIZE training patches, plus the held-out pass over a fifth of
the tracks), timed after a warm-up epoch, and one MLP VAE epoch; models train one per core
(utils.fit_models), so the estimate divides their epochs by the number of cores. The levers, one conv epoch by
threads and batch size, are printed too. The whole pipeline is then estimated from how many
models the notebooks train and for how many epochs the held-out rule let them run (the committed
model_selection.csv files of the default run, each model counted once), scaled to --tracks.
Nothing is cached here (every number is a fresh measurement); prints the table and the estimate
and writes both to results/real/cost_at_scale.csv (the README shows it). The measured wall time
of the three notebooks at 1,000 tracks is benchmarks/time_at_scale.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))
from common import write_table  # noqa: E402
from tasks import notebook_parameters  # noqa: E402
import utils  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tracks", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=16, help="tracks to time the per-track stages on")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "cost_at_scale.csv")
    args = ap.parse_args(argv)
    songs = ROOT.parent / "shared" / "data" / "songs_en_de"
    tracks, _ = (utils.load_tracks("folder", songs, verbose=False) if songs.exists()
                 else utils.load_tracks("demo", verbose=False))
    sample = tracks.iloc[:args.sample].reset_index(drop=True)
    medium = notebook_parameters("02_medium.ipynb")   # the conv VAE's settings, as the medium notebook runs it
    conv = {name.lower(): medium[name] for name in ("N_MELS", "PATCH_FRAMES", "HOP_LENGTH", "N_PATCHES", "LATENT_DIM",
                                                    "CHANNELS", "BATCH_SIZE", "VAL_FRACTION", "EPOCH_SIZE")}
    n = len(sample)
    per_track = {
        "decode + MFCC statistics + log-mel patches": timed(lambda: (
            utils.extract_mfcc_stats(sample, n_jobs=1, cache_dir=None, verbose=False),
            utils.extract_logmel_patches(sample, conv["n_mels"], conv["patch_frames"], conv["n_patches"],
                                         hop_length=conv["hop_length"], n_jobs=1, cache_dir=None, verbose=False))) / n,
        "Whisper base transcription": timed(lambda: utils.transcribe(sample.assign(lyrics=None), "base",
                                                                     cache_dir=None, verbose=False)) / n,
        "Whisper base encoder embedding": timed(lambda: utils.whisper_audio_embeddings(sample, "base", cache_dir=None,
                                                                                       verbose=False)) / n,
    }
    rng = np.random.default_rng(0)
    shape = (1, conv["n_mels"], conv["patch_frames"])
    train_rows = min(conv["epoch_size"], int(args.tracks * (1 - conv["val_fraction"])) * conv["n_patches"])
    heldout = rng.normal(size=(int(args.tracks * conv["val_fraction"]) * conv["n_patches"], *shape)).astype(np.float32)
    patches = rng.normal(size=(train_rows, *shape)).astype(np.float32)

    def conv_epoch_seconds(n_threads: int, batch_size: int, epochs: int = 3) -> float:
        model = utils.ConvVAE(conv["n_mels"], conv["patch_frames"], conv["latent_dim"], conv["channels"])
        utils._train_vae(model, patches, epochs=1, batch_size=batch_size, n_threads=n_threads, verbose=False)   # warm-up
        return timed(lambda: utils._train_vae(model, patches, epochs=epochs, batch_size=batch_size, n_threads=n_threads,
                                             verbose=False)) / epochs

    print(f"Levers: one conv VAE epoch ({train_rows} patches) by threads and batch size, seconds:")
    for n_threads in (1, 2):
        print("  " + ", ".join(f"{n_threads} thread(s) batch {b}: {conv_epoch_seconds(n_threads, b):.2f}"
                               for b in (64, 128, 256)), flush=True)
    torch.set_num_threads(1)   # as utils.fit_models trains: one thread per model, one model per core
    model = utils.ConvVAE(conv["n_mels"], conv["patch_frames"], conv["latent_dim"], conv["channels"])
    utils._heldout_elbo(model, heldout[:64])   # warm-up
    conv_epoch = conv_epoch_seconds(1, conv["batch_size"]) + timed(lambda: utils._heldout_elbo(model, heldout))
    X = rng.normal(size=(args.tracks, 290)).astype(np.float32)
    easy = utils.EASY_VAE_SETTINGS
    mlp_model = utils.VAE(290, easy["latent_dim"], easy["hidden_dim"])
    utils._train_vae(mlp_model, X, epochs=1, batch_size=easy["batch_size"], verbose=False)   # warm-up
    mlp_epoch = timed(lambda: utils._train_vae(mlp_model, X, epochs=3, batch_size=easy["batch_size"],
                                              verbose=False)) / 3
    rows = [{"stage": k, "seconds_per_track": v, "seconds_at_scale": v * args.tracks} for k, v in per_track.items()]
    rows += [{"stage": "conv VAE, one epoch (training + held-out pass)", "seconds_per_track": conv_epoch / args.tracks,
              "seconds_at_scale": conv_epoch},
             {"stage": "MLP VAE, one epoch", "seconds_per_track": mlp_epoch / args.tracks, "seconds_at_scale": mlp_epoch}]
    table = pd.DataFrame(rows)
    print(f"\nMeasured on {n} tracks ({'real songs' if songs.exists() else 'the demo'}); epochs at {args.tracks} tracks:")
    print(table.round(3).to_string(index=False))
    selections = []
    for task in ("easy", "medium", "hard"):
        path = ROOT / "results" / task / "model_selection.csv"
        if path.exists():
            sel = pd.read_csv(path)
            kind = np.where(sel["model"].str.contains("MLP|size", regex=True) | (task == "easy"), "mlp", "conv")
            selections.append(sel.assign(kind=kind, task=task))
    fits = pd.concat(selections, ignore_index=True)
    # a model the hard notebook loads from the medium one's cache (beta 1, the easy MLP VAE) is listed twice
    fits = fits.drop_duplicates(["kind", "seed", "epochs_run", "selected_epoch", "heldout_loss"])
    epochs = fits.groupby(["task", "kind"])["epochs_run"].sum()
    print("\nEpochs the default run trained (model_selection.csv, each model counted once):",
          epochs.to_dict())
    conv_epochs = int(epochs.xs("conv", level="kind").sum()) if "conv" in fits["kind"].values else 0
    mlp_epochs = int(epochs.xs("mlp", level="kind").sum()) if "mlp" in fits["kind"].values else 0
    workers = min(2, os.cpu_count() or 1)   # models train side by side, one per core (utils.fit_models)
    estimate = {"features": per_track["decode + MFCC statistics + log-mel patches"] * args.tracks,
                "Whisper transcription (every track without known lyrics)":
                    per_track["Whisper base transcription"] * args.tracks,
                "Whisper encoder (kept from the transcription's encoder pass)": 0.0,
                "conv models": conv_epochs * conv_epoch / workers, "MLP models": mlp_epochs * mlp_epoch / workers}
    print(f"\nEstimated wall time of the three notebooks at {args.tracks} tracks (clustering, UMAP and figures "
          "not included):")
    for stage, seconds in estimate.items():
        print(f"  {stage:<58} {seconds / 60:6.1f} min")
    print(f"  {'total':<58} {sum(estimate.values()) / 60:6.1f} min")
    estimate_rows = [{"stage": f"estimate: {k}", "seconds_per_track": v / args.tracks, "seconds_at_scale": v}
                     for k, v in {**estimate, "total": sum(estimate.values())}.items()]
    out = pd.concat([table, pd.DataFrame(estimate_rows)], ignore_index=True).assign(tracks=args.tracks, measured_on=n)
    write_table(out, args.out)


if __name__ == "__main__":
    main()
