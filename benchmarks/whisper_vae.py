"""A VAE on a pretrained embedding: the easy notebook's MLP VAE on the Whisper encoder's output, against PCA of it.

    python benchmarks/whisper_vae.py [--data ../shared/data] [--sets demo gtzan_clips songs_en_de] [--seeds 5]

On small data the field trains a VAE on top of pretrained features rather than on raw audio.
The medium notebook already computes the Whisper base encoder's output averaged over each
clip (512 numbers, standardized: its reference row). Here the MLP VAE of
utils.EASY_VAE_SETTINGS is trained on it by the project's held-out rule, and compared with PCA
of the same embedding with as many components as the VAE's latent, and with the embedding
itself; each clustered by K-Means with k = number of genres, genre NMI per seed, paired
per-seed differences. Writes results/real/whisper_vae.csv (scores) and
results/real/whisper_vae_verdicts.csv; the README shows them.
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

PAIRS = [("VAE on Whisper + K-Means", "PCA of Whisper + K-Means"), ("VAE on Whisper + K-Means", "Whisper + K-Means")]


def measure_set(name: str, data: Path, seeds: int) -> pd.DataFrame:
    """Return genre NMI per seed of K-Means on the Whisper embedding, its PCA and the VAE trained on it."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    dataset, rel = SETS[name]
    tracks, _ = utils.load_tracks(dataset, None if rel is None else data / rel, verbose=False)
    X = StandardScaler().fit_transform(utils.whisper_audio_embeddings(tracks, "base", verbose=False)).astype(np.float32)
    truth, k, dim = {"genre": tracks["genre"]}, tracks["genre"].nunique(), utils.EASY_VAE_SETTINGS["latent_dim"]
    fitted = utils.fit_models(utils.VAE, X, [dict(seed=s) for s in range(seeds)], name="VAE on Whisper",
                              verbose=False, **utils.EASY_VAE_SETTINGS)
    rows = []
    for seed, (model, _, chosen) in zip(range(seeds), fitted):
        spaces = {"VAE on Whisper + K-Means": utils.encode_mean(model, X),
                  "PCA of Whisper + K-Means": PCA(dim, random_state=seed).fit_transform(X),
                  "Whisper + K-Means": X}
        for method, Z in spaces.items():
            nmi = utils.evaluate(Z, utils.cluster(Z, "kmeans", k, seed), truth)["nmi_genre"]
            rows.append({"set": name, "tracks": len(tracks), "seed": seed, "method": method, "nmi_genre": nmi,
                         "selected_epoch": chosen["selected_epoch"] if method.startswith("VAE") else np.nan,
                         "heldout_kl": chosen["heldout_kl"] if method.startswith("VAE") else np.nan})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="*", default=["demo", "gtzan_clips", "songs_en_de"], choices=list(SETS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "whisper_vae.csv")
    args = ap.parse_args(argv)
    tables = []
    for name in available_sets(args.sets, SETS, args.data):
        tables.append(measure_set(name, args.data, args.seeds))
        print(f"\n{name}:\n" + tables[-1].groupby("method", sort=False)["nmi_genre"].agg(["mean", "std"]).round(3)
              .to_string())
    if not tables:
        print("No data found: nothing measured.")
        return pd.DataFrame(), pd.DataFrame()
    scores = pd.concat(tables, ignore_index=True)
    verdicts = pd.concat([utils.paired_differences(part, target, [other], ["nmi_genre"]).assign(set=name)
                          for name, part in scores.groupby("set", sort=False) for target, other in PAIRS],
                         ignore_index=True)
    print(verdicts[["set", "target", "other", "target_mean", "other_mean", "mean_difference", "ci_low", "ci_high",
                    "verdict"]].round(3).to_string(index=False))
    write_table(scores, args.out)
    write_table(verdicts, args.out.with_name("whisper_vae_verdicts.csv"))
    return scores, verdicts


if __name__ == "__main__":
    main()
