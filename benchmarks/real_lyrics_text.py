"""Real lyrics, text only: how well each offline text representation clusters them.

    python benchmarks/real_lyrics_text.py [--data ../shared/data] [--out results/real/lyrics_text.csv]

Representations: all-MiniLM-L6-v2 (the packaged sentence-transformers model, English) and the
character n-gram TF-IDF (any script), both through ``utils.embed_text``. Tasks, each K-Means
with k = the number of classes, 5 seeds, NMI against the labels and against the same labels
shuffled (the chance level for groups of these sizes):

* the real Bangla lyrics (bangla_lyrics/) by category (14, very unequal in size);
* a bilingual set, those Bangla lyrics and the English lyrics of songs_en_de, by language (k = 2),
  and by category or genre within each language.

The labels only score; nothing is tuned on them. `make real` runs it; it prints the table,
writes the CSV and a figure beside it (results/real/figures/lyrics_text.png).
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

REPRESENTATIONS = {"all-MiniLM-L6-v2": "all-MiniLM-L6-v2", "char n-gram TF-IDF": "tfidf-char"}
SEEDS = range(5)


def load_lyrics(data_root: Path) -> pd.DataFrame | None:
    """Return one row per lyric text (text, language, label: Bangla category or English genre), or None."""
    bangla, songs = data_root / "bangla_lyrics" / "bangla_lyrics_dev.csv", data_root / "songs_en_de" / "metadata.csv"
    if not bangla.exists():
        print(f"real lyrics: skipped, {bangla} not found")
        return None
    parts = [pd.read_csv(bangla).rename(columns={"category": "label"}).assign(language="bn")]
    if songs.exists():
        english = pd.read_csv(songs).query("language == 'en'").rename(columns={"genre": "label"})
        parts.append(english.assign(language="en"))
    table = pd.concat([p[["lyrics", "language", "label"]] for p in parts], ignore_index=True)
    return table[table["lyrics"].fillna("").str.strip() != ""].reset_index(drop=True)


def nmi_against_labels(Z: np.ndarray, labels: np.ndarray) -> dict:
    """Return K-Means (k = number of classes) NMI, mean and sd over seeds, and the shuffled-labels mean."""
    from sklearn.metrics import normalized_mutual_info_score as nmi

    k = len(set(labels))
    found = [utils.cluster(Z, "kmeans", k, seed) for seed in SEEDS]
    scores = [nmi(labels, f) for f in found]
    chance = [nmi(np.random.default_rng(seed).permutation(labels), f) for seed, f in zip(SEEDS, found)]
    return dict(k=k, tracks=len(labels), nmi_mean=float(np.mean(scores)), nmi_sd=float(np.std(scores, ddof=1)),
                nmi_shuffled_mean=float(np.mean(chance)))


def measure(table: pd.DataFrame) -> pd.DataFrame:
    """Return a row per task and representation (see the module's docstring)."""
    bangla = (table["language"] == "bn").to_numpy()
    tasks = {"Bangla lyrics by category": (bangla, "label")}
    if (~bangla).any():
        tasks.update({"Bangla + English lyrics by language": (np.ones(len(table), bool), "language"),
                      "English lyrics by genre": (~bangla, "label")})
    rows = []
    for name, model in REPRESENTATIONS.items():
        emb, _ = utils.embed_text(table["lyrics"].tolist(), model)
        for task, (rows_of, label) in tasks.items():
            Z = emb[rows_of]
            if model == "tfidf-char":   # TF-IDF per task, so a subset's vocabulary is its own
                Z, _ = utils.embed_text(table.loc[rows_of, "lyrics"].tolist(), model)
            rows.append({"task": task, "representation": name,
                         **nmi_against_labels(Z, table.loc[rows_of, label].to_numpy())})
    return pd.DataFrame(rows)


def plot(result: pd.DataFrame):
    """Return bars of NMI (mean ± sd over seeds) per task and representation, the shuffled-labels level in black."""
    import matplotlib.pyplot as plt

    tasks, reps = list(dict.fromkeys(result["task"])), list(dict.fromkeys(result["representation"]))
    height = 0.8 / len(reps)
    fig, ax = plt.subplots(figsize=(8.5, 0.9 * len(tasks) + 1.2))
    for j, rep in enumerate(reps):
        part = result[result.representation == rep].set_index("task").reindex(tasks)
        y = np.arange(len(tasks)) + (j - (len(reps) - 1) / 2) * height
        ax.barh(y, part["nmi_mean"], height, xerr=part["nmi_sd"], label=rep)
        ax.vlines(part["nmi_shuffled_mean"], y - height / 2, y + height / 2, color="black", lw=1.5)
    ax.set_yticks(range(len(tasks)), tasks)
    ax.invert_yaxis()
    ax.set(xlabel="NMI, K-Means with k = number of classes (black: shuffled labels)",
           title="Real lyrics, text only: which offline representation clusters them")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "lyrics_text.csv")
    args = ap.parse_args(argv)
    table = load_lyrics(args.data)
    if table is None:
        return 0
    print(f"{len(table)} lyrics: " + ", ".join(f"{k} {v}" for k, v in table["language"].value_counts().items()))
    result = measure(table)
    print(result.round(3).to_string(index=False))
    write_table(result, args.out)
    utils.save_figure(plot(result), "lyrics_text", args.out.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
