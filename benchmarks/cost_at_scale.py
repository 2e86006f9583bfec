"""What the three notebooks cost at GTZAN scale (1,000 tracks of 30 s) on this machine, measured per unit and scaled.

    python benchmarks/cost_at_scale.py [--tracks 1000] [--sample 16]

Measures on real clips (../shared/data/songs_en_de, 30-s previews; else the demo), with the
notebooks' settings: decoding + MFCC statistics + log-mel patches per track, Whisper base
transcription per track, the Whisper encoder embedding per track, and one training epoch of
the conv VAE and of the MLP VAE per 1,000 tracks. The whole pipeline is then estimated from
how many models the notebooks train and for how many epochs the held-out rule let them run
(the committed model_selection.csv files of the default run, each model counted once), scaled to
--tracks. Nothing is
cached here (every number is a fresh measurement); prints one table and the estimate and
writes both to results/real/cost_at_scale.csv (the README shows it).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
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
    conv = utils.CONV_VAE_SETTINGS
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
    patches = rng.normal(size=(200 * conv["n_patches"], 1, conv["n_mels"], conv["patch_frames"])).astype(np.float32)
    model = utils.ConvVAE(conv["n_mels"], conv["patch_frames"], conv["latent_dim"], conv["channels"])
    conv_epoch = timed(lambda: utils.train_vae(model, patches, epochs=1, batch_size=conv["batch_size"], n_threads=2,
                                               verbose=False)) * 1000 / 200
    X = rng.normal(size=(1000, 290)).astype(np.float32)
    easy = utils.EASY_VAE_SETTINGS
    mlp_epoch = timed(lambda: utils.train_vae(utils.VAE(290, easy["latent_dim"], easy["hidden_dim"]), X, epochs=1,
                                              batch_size=easy["batch_size"], verbose=False))
    rows = [{"stage": k, "seconds_per_track": v, "seconds_at_scale": v * args.tracks} for k, v in per_track.items()]
    rows += [{"stage": "conv VAE, one epoch", "seconds_per_track": conv_epoch / 1000,
              "seconds_at_scale": conv_epoch * args.tracks / 1000},
             {"stage": "MLP VAE, one epoch", "seconds_per_track": mlp_epoch / 1000,
              "seconds_at_scale": mlp_epoch * args.tracks / 1000}]
    table = pd.DataFrame(rows)
    print(f"Measured on {n} tracks ({'real songs' if songs.exists() else 'the demo'}), 2 threads:")
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
    fits = fits.drop_duplicates(["kind", "seed", "epochs_run", "selected_epoch", "val_elbo_loss"])
    epochs = fits.groupby(["task", "kind"])["epochs_run"].sum()
    print("\nEpochs the default run trained (model_selection.csv, each model counted once):",
          epochs.to_dict())
    conv_epochs = int(epochs.xs("conv", level="kind").sum()) if "conv" in fits["kind"].values else 0
    mlp_epochs = int(epochs.xs("mlp", level="kind").sum()) if "mlp" in fits["kind"].values else 0
    scale = args.tracks / 1000
    estimate = {"features": per_track["decode + MFCC statistics + log-mel patches"] * args.tracks,
                "Whisper transcription (every track without known lyrics)":
                    per_track["Whisper base transcription"] * args.tracks,
                "Whisper encoder": per_track["Whisper base encoder embedding"] * args.tracks,
                "conv models": conv_epochs * conv_epoch * scale, "MLP models": mlp_epochs * mlp_epoch * scale}
    print(f"\nEstimated wall time of the three notebooks at {args.tracks} tracks (clustering, UMAP and figures "
          "not included):")
    for stage, seconds in estimate.items():
        print(f"  {stage:<58} {seconds / 60:6.1f} min")
    print(f"  {'total':<58} {sum(estimate.values()) / 60:6.1f} min")
    estimate_rows = [{"stage": f"estimate: {k}", "seconds_per_track": v / args.tracks, "seconds_at_scale": v}
                     for k, v in {**estimate, "total": sum(estimate.values())}.items()]
    out = pd.concat([table, pd.DataFrame(estimate_rows)], ignore_index=True).assign(tracks=args.tracks, measured_on=n)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
