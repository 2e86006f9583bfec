"""Label-free ways to join audio and lyrics, against each modality alone.

    python benchmarks/fusion.py [--data ../shared/data] [--sets demo songs_en_de gtzan_clips] [--seeds 5]

The medium notebook's hybrid gives the audio and the lyrics block equal total variance and
concatenates them (utils.combine_blocks). A block's largest directions then take most of its
share of the distances, and K-Means can split along loudness while the lyrics' language
direction is one of many. This benchmark tries the standard alternatives, each chosen without
labels, on the medium notebook's inputs (its defaults: lyrics as that notebook gets them,
known or Whisper's; TEXT_MODEL="auto"):

* ``equal variance``: the notebook's rule;
* ``whitened``: each block reduced to its k leading principal components (k = the number of
  clusters), each component scaled to unit variance, then concatenated;
* ``weighted (silhouette)``: the equal-variance blocks with the lyrics weighted by w in
  ``WEIGHTS``; w is the one whose K-Means clustering has the highest silhouette in its own
  joint space (label-free; recorded in ``chosen_weight``);
* ``consensus``: cluster ensembles (Strehl & Ghosh 2002): five K-Means partitions of each
  modality (seeded restarts), the co-association of two tracks = the share of partitions
  that put them together (lyrics partitions count only for tracks that both have text), then
  average-linkage clustering of 1 - co-association.

Audio blocks: the medium notebook's conv VAE latent (the models it trained, loaded from the
cache or trained here by the same rule) and PCA of the MFCC statistics (as many components
as that latent). Every rule and modality is clustered into k = the number of genres (scored by
genre and language NMI) and into k = the number of languages (language NMI), per seed, and
compared with the better single modality by paired per-seed differences. Writes
results/real/fusion.csv (scores) and results/real/fusion_verdicts.csv; the README shows them.
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
from conv_size import PATCHES, SETS, TRAINING  # noqa: E402  (the medium notebook's defaults)
import utils  # noqa: E402

WEIGHTS = [0.25, 0.5, 1.0, 2.0, 4.0]
ENSEMBLE = 5   # K-Means partitions per modality in the consensus


def whitened(blocks: dict[str, np.ndarray], k: int, seed: int) -> np.ndarray:
    """Return each block's k leading principal components at unit variance, side by side."""
    from sklearn.decomposition import PCA

    return np.hstack([PCA(min(k, *b.shape), whiten=True, random_state=seed).fit_transform(b) for b in blocks.values()])


def silhouette_weighted(audio: np.ndarray, lyrics: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, float]:
    """Return the labels of the lyrics weight whose K-Means clustering has the highest silhouette, and the weight."""
    from sklearn.metrics import silhouette_score

    best = None
    for w in WEIGHTS:
        Z = utils.combine_blocks({"audio": audio, "lyrics": lyrics}, {"lyrics": w})
        labels = utils.cluster(Z, "kmeans", k, seed)
        score = silhouette_score(Z, labels)
        if best is None or score > best[0]:
            best = (score, labels, w)
    return best[1], best[2]


def consensus(audio: np.ndarray, lyrics_only: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Return the average-linkage clustering of the co-association of per-modality K-Means partitions."""
    from sklearn.cluster import AgglomerativeClustering

    together = np.zeros((len(audio), len(audio)))
    counted = np.zeros_like(together)
    for Z in (audio, lyrics_only):
        for r in range(ENSEMBLE):
            labels = utils.cluster(Z, "kmeans", k, seed * 100 + r)
            known = labels >= 0
            pair = known[:, None] & known[None, :]
            together += pair * (labels[:, None] == labels[None, :])
            counted += pair
    distance = 1 - together / np.maximum(counted, 1)
    return AgglomerativeClustering(k, metric="precomputed", linkage="average").fit_predict(distance)


def set_inputs(name: str, data: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return a set's tracks, log-mel patches, standardized MFCC statistics and lyrics blocks (as the medium notebook)."""
    from sklearn.preprocessing import StandardScaler

    dataset, rel = SETS[name]
    tracks, _ = utils.load_tracks(dataset, None if rel is None else data / rel, verbose=False)
    patches = utils.standardize_patches(utils.extract_logmel_patches(tracks, **PATCHES, verbose=False))
    X_mfcc = StandardScaler().fit_transform(utils.extract_mfcc_stats(tracks, verbose=False)[0]).astype(np.float32)
    lyrics = utils.get_lyrics(tracks, "auto", "base", verbose=False)
    text_emb, no_text = utils.embed_text(lyrics["text"], "auto", verbose=False)
    lyrics_only, filled = utils.lyrics_blocks(text_emb, no_text)
    return tracks, patches, X_mfcc, lyrics_only, filled


def measure_set(name: str, data: Path, seeds: int) -> pd.DataFrame:
    """Return per seed, audio block and method (single modality or fusion rule) the NMI scores."""
    from sklearn.decomposition import PCA

    tracks, patches, X_mfcc, lyrics_only, filled = set_inputs(name, data)
    truth = utils.known_labels(tracks)
    ks = {label: truth[label].nunique() for label in ("genre", "language") if label in truth}
    fitted = utils.fit_models(utils.ConvVAE, patches, [dict(seed=s) for s in range(seeds)], n_tracks=len(tracks),
                              name="conv VAE", n_mels=PATCHES["n_mels"], n_frames=PATCHES["patch_frames"],
                              verbose=False, **TRAINING)
    rows = []
    for seed, (model, _, _) in zip(range(seeds), fitted):
        audio_blocks = {"conv VAE": utils.encode_mean(model, patches, n_tracks=len(tracks)),
                        "PCA (MFCC)": PCA(min(TRAINING["latent_dim"], min(X_mfcc.shape) - 1),
                                          random_state=seed).fit_transform(X_mfcc)}
        for audio_name, audio in audio_blocks.items():
            for k_name, k in ks.items():
                methods = {"audio alone": utils.cluster(audio, "kmeans", k, seed),
                           "lyrics alone": utils.cluster(lyrics_only, "kmeans", k, seed),
                           "equal variance": utils.cluster(utils.combine_blocks({"audio": audio, "lyrics": filled}),
                                                           "kmeans", k, seed),
                           "whitened": utils.cluster(whitened({"audio": audio, "lyrics": filled}, k, seed),
                                                     "kmeans", k, seed)}
                methods["weighted (silhouette)"], weight = silhouette_weighted(audio, filled, k, seed)
                methods["consensus"] = consensus(audio, lyrics_only, k, seed)
                for method, labels in methods.items():
                    scores = utils.evaluate(audio, labels, truth)
                    rows.append({"set": name, "audio": audio_name, "k_for": k_name, "k": k, "seed": seed,
                                 "method": method, "nmi_genre": scores.get("nmi_genre", np.nan),
                                 "nmi_language": scores.get("nmi_language", np.nan),
                                 "chosen_weight": weight if method == "weighted (silhouette)" else np.nan})
    return pd.DataFrame(rows)


TASKS = [("genre", "nmi_genre"), ("genre", "nmi_language"), ("language", "nmi_language")]   # (k = number of, metric)
RULES = ["equal variance", "whitened", "weighted (silhouette)", "consensus"]


def against_better_single(scores: pd.DataFrame, methods: list[str], by: list[str]) -> pd.DataFrame:
    """Return, per group of the ``by`` columns and per task of ``TASKS``, each of ``methods``
    against the better single modality ('audio alone' or 'lyrics alone', by mean), paired per seed."""
    out = []
    for keys, part in scores.groupby(by, sort=False):
        for k_for, metric in TASKS:
            sub = part[part["k_for"] == k_for]
            if sub.empty or sub[metric].isna().all():   # that label is not known for this set
                continue
            singles = sub[sub["method"].isin(["audio alone", "lyrics alone"])].groupby("method")[metric].mean()
            out += [utils.paired_differences(sub, method, [singles.idxmax()], [metric])
                    .assign(**dict(zip(by, keys)), k_for=k_for) for method in methods]
    return pd.concat(out, ignore_index=True)


def verdicts(scores: pd.DataFrame) -> pd.DataFrame:
    """Return, per set, audio block and label, each fusion rule against the better single modality (paired)."""
    return against_better_single(scores, RULES, ["set", "audio"])


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="*", default=["demo", "songs_en_de", "gtzan_clips"], choices=list(SETS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "fusion.csv")
    args = ap.parse_args(argv)
    tables = []
    for name in available_sets(args.sets, SETS, args.data):
        print(f"\n{name}:")
        tables.append(measure_set(name, args.data, args.seeds))
        mean = tables[-1].groupby(["audio", "k_for", "method"], sort=False)[["nmi_genre", "nmi_language"]].mean()
        print(mean.round(3).to_string())
    if not tables:
        print("No data found: nothing measured.")
        return pd.DataFrame(), pd.DataFrame()
    scores = pd.concat(tables, ignore_index=True)
    table = verdicts(scores)
    print(table[["set", "audio", "k_for", "metric", "target", "other", "target_mean", "other_mean", "mean_difference",
                 "ci_low", "ci_high", "verdict"]].round(3).to_string(index=False))
    write_table(scores, args.out)
    write_table(table, args.out.with_name("fusion_verdicts.csv"))
    return scores, table


if __name__ == "__main__":
    main()
