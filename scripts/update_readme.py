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
         "acc_genre": "matched acc. genre", "silhouette_features": "silhouette (feature space)",
         "nmi_language": "NMI language", "ari_language": "ARI language", "davies_bouldin": "Davies-Bouldin",
         "noise_share": "noise share"}
COLUMNS = {"easy": ["nmi_genre", "ari_genre", "purity_genre", "silhouette_features", "nmi_language"],
           "medium": ["nmi_genre", "ari_genre", "nmi_language", "ari_language", "davies_bouldin", "noise_share"],
           "hard": ["nmi_genre", "ari_genre", "purity_genre", "acc_genre", "nmi_language", "silhouette_features"]}


def results_markdown(results_root: Path = ROOT / "results") -> str:
    """Return one markdown table per task folder that has a metrics.csv: mean ± sd over seeds."""
    parts = []
    for task, notebook in TASKS.items():
        path = results_root / task / "metrics.csv"
        if not path.exists():
            continue
        scores = pd.read_csv(path)
        cols = [c for c in COLUMNS[task] if c in scores.columns and scores[c].notna().any()]
        table = utils.format_scores(utils.summarize_scores(scores, metrics=cols)).replace("undefined", "n/a")
        given = "conditioned_on" in scores.columns
        if given:   # a conditional model's label: its scores on that label are left empty, never reported
            conditioned = scores.drop_duplicates("method").set_index("method")["conditioned_on"].fillna("")
        header = "| method | " + ("given label | " if given else "") + " | ".join(NAMES[c] for c in cols) + " | seeds |"
        lines = [f"**{task}** ([`notebooks/{notebook}`](notebooks/{notebook}), `results/{task}/metrics.csv`)", "",
                 header, "|" + "---|" * (len(cols) + 2 + given)]
        for method, row in table.iterrows():
            label = f"{conditioned[method] or 'none'} | " if given else ""
            lines.append(f"| {method} | {label}" + " | ".join(row[c] for c in cols) + f" | {row['seeds']} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) if parts else "_No results yet: run `make all`._"


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
