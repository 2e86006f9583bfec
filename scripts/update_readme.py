"""Regenerate the README's results tables from results/*/metrics.csv (never typed by hand).

    python scripts/update_readme.py           # rewrite the block between the markers
    python scripts/update_readme.py --check   # exit 1 if the README is out of date

The block sits between ``<!-- results:start -->`` and ``<!-- results:end -->``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
import utils  # noqa: E402
from tasks import TASKS  # noqa: E402  (the one list of notebooks)

START, END = "<!-- results:start -->", "<!-- results:end -->"
NAMES = {"nmi_genre": "NMI genre", "ari_genre": "ARI genre", "purity_genre": "purity genre",
         "acc_genre": "matched acc. genre", "silhouette_features": "silhouette (MFCC-statistics space)",
         "silhouette": "silhouette (own space)", "nmi_language": "NMI language", "ari_language": "ARI language",
         "davies_bouldin": "Davies-Bouldin", "noise_share": "noise share"}
COLUMNS = {"easy": ["nmi_genre", "ari_genre", "purity_genre", "silhouette", "silhouette_features", "nmi_language"],
           "medium": ["nmi_genre", "ari_genre", "nmi_language", "ari_language", "davies_bouldin", "noise_share"],
           "hard": ["nmi_genre", "ari_genre", "purity_genre", "acc_genre", "nmi_language", "silhouette_features"]}
AUDIO_COLUMNS = ["nmi_genre", "ari_genre", "purity_genre", "acc_genre", "silhouette", "silhouette_features"]
LYRICS_READERS = ("lyrics", "hybrid", "multimodal", "CVAE")   # methods whose input includes the lyrics


def _table(scores: pd.DataFrame, cols: list[str], extra: dict[str, pd.Series] | None = None) -> list[str]:
    """Return markdown lines of mean ± sd per method, with optional extra text columns (by method)."""
    cols = [c for c in cols if c in scores.columns and scores[c].notna().any()]
    table = utils.format_scores(utils.summarize_scores(scores, metrics=cols)).replace("undefined", "n/a")
    extra = extra or {}
    header = "| method | " + "".join(f"{name} | " for name in extra) + " | ".join(NAMES[c] for c in cols) + " | seeds |"
    lines = [header, "|" + "---|" * (len(cols) + 2 + len(extra))]
    for method, row in table.iterrows():
        cells = "".join(f"{values.get(method, '') or 'none'} | " for values in extra.values())
        lines.append(f"| {method} | {cells}" + " | ".join(row[c] for c in cols) + f" | {row['seeds']} |")
    return lines


def audio_markdown(results_root: Path) -> list[str]:
    """Return the lead table: the hard notebook's audio-only representations (no lyrics, no labels)."""
    path = results_root / "hard" / "metrics.csv"
    if not path.exists():
        return []
    scores = pd.read_csv(path)
    audio = scores[(scores["group"] != "conditional") & ~scores["method"].str.contains("|".join(LYRICS_READERS))]
    return ["**Audio only** (hard notebook, K-Means with k = number of genres, `results/hard/metrics.csv`): what "
            "the audio alone gives, every model trained without labels.", "", *_table(audio, AUDIO_COLUMNS), ""]


def lyrics_signal_markdown(results_root: Path) -> list[str]:
    """Return a sentence per language: lyrics-only K-Means genre NMI within it, and its chance level."""
    path = results_root / "medium" / "lyrics_signal.csv"
    if not path.exists():
        return []
    table = pd.read_csv(path)
    parts = [f"{r.language} {r.nmi_genre_mean:.3f} ± {r.nmi_genre_sd:.3f} ({r.tracks} tracks; shuffled genres "
             f"{r.nmi_shuffled_mean:.3f})" for r in table.itertuples()]
    return ["**How much genre the demo's lyrics carry** (`results/medium/lyrics_signal.csv`): lyrics-only K-Means "
            "genre NMI within each language, " + "; ".join(parts) + ".", ""]


def results_markdown(results_root: Path = ROOT / "results") -> str:
    """Return the generated results block: the audio comparison first, then the lyrics signal,
    then one table per task folder that has a metrics.csv (mean ± sd over seeds)."""
    parts = audio_markdown(results_root) + lyrics_signal_markdown(results_root)
    for task, notebook in TASKS.items():
        path = results_root / task / "metrics.csv"
        if not path.exists():
            continue
        scores = pd.read_csv(path)
        extra = {}
        if "conditioned_on" in scores.columns:   # a conditional model's label: its scores on it are left empty
            extra["given label"] = scores.drop_duplicates("method").set_index("method")["conditioned_on"].fillna("")
        if "lyrics" in scores.columns:
            extra["lyrics used"] = scores.drop_duplicates("method").set_index("method")["lyrics"].fillna("")
        parts += [f"**{task}** ([`notebooks/{notebook}`](notebooks/{notebook}), `results/{task}/metrics.csv`)", "",
                  *_table(scores, COLUMNS[task], extra), ""]
    return "\n".join(parts).strip() if parts else "_No results yet: run `make all`._"


def render(readme: str, block: str) -> str:
    """Return the README text with the block between the markers replaced."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md needs the markers {START} and {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the README is up to date")
    args = ap.parse_args(argv)
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    updated = render(readme, results_markdown())
    if args.check:
        if updated != readme:
            sys.exit("README.md results tables differ from results/*/metrics.csv: run `python scripts/update_readme.py`")
        print("README.md results tables match results/.")
        return
    readme_path.write_text(updated, encoding="utf-8")
    print("README.md results tables regenerated from results/*/metrics.csv")


if __name__ == "__main__":
    main()
