"""Reproducibility check: re-run the notebooks from scratch and compare every table with results/.

    python scripts/check_reproducible.py                 # all three notebooks, fresh cache (~15 min)
    python scripts/check_reproducible.py --only 01_easy  # one notebook
    python scripts/check_reproducible.py --reuse-cache   # keep cached features/models (checks the rest)

The notebooks run with their default parameters into a temporary folder (results/ is never
touched), with an empty cache by default, so features, transcripts and models are all
recomputed. Every CSV in results/<task>/ is compared with the new one: same rows, columns
and text; numbers equal within --tolerance (absolute; default 1e-9: the same machine and
seeds must give the same numbers). Columns that measure wall time (``seconds*``) are not
compared. Exit status 1 on any difference.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from tasks import TASKS as NOTEBOOK_OF_TASK  # noqa: E402  (the one list of notebooks)

TASKS = {Path(notebook).stem: task for task, notebook in NOTEBOOK_OF_TASK.items()}


def compare_tables(committed: Path, rerun: Path, tolerance: float) -> list[str]:
    """Return the differences between two CSV files (empty when they agree)."""
    if not rerun.exists():
        return [f"{rerun.name}: not written by the re-run"]
    return [f"{committed.name}: {p}" for p in compare_frames(pd.read_csv(committed), pd.read_csv(rerun), tolerance)]


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, tolerance: float) -> list[str]:
    """Return the differences between a committed table ``a`` and a re-run ``b`` (empty when they agree):
    columns, row count, text cells, and numbers beyond ``tolerance`` (``seconds*`` columns skipped)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        extra, missing = sorted(set(b.columns) - set(a.columns)), sorted(set(a.columns) - set(b.columns))
        return [f"shape or columns differ ({a.shape} vs {b.shape}; new columns {extra}, missing {missing})"]
    problems = []
    for col in a.columns:
        if col.startswith("seconds"):
            continue
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            same_nan = np.array_equal(x.isna(), y.isna())
            delta = np.abs(x.to_numpy(float) - y.to_numpy(float))
            diff = np.nanmax(delta) if np.isfinite(delta).any() else 0.0
            if not same_nan or diff > tolerance:
                row = int(np.nanargmax(delta)) if np.isfinite(delta).any() else 0
                problems.append(f"{col}: max difference {diff:.3g} (row {row}: committed {x.iloc[row]!r}, "
                                f"re-run {y.iloc[row]!r})" + ("" if same_nan else ", NaNs differ"))
        elif not x.fillna("").astype(str).equals(y.fillna("").astype(str)):
            row = int(np.argmax(x.fillna("").astype(str).to_numpy() != y.fillna("").astype(str).to_numpy()))
            problems.append(f"{col}: text differs (row {row}: committed {x.iloc[row]!r}, re-run {y.iloc[row]!r})")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=list(TASKS), help="notebooks to check (default: all)")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    ap.add_argument("--reuse-cache", action="store_true", help="use data/cache instead of an empty cache")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")   # papermill streams cell output as log records
    import papermill as pm

    work = Path(tempfile.mkdtemp(prefix="reproducibility-"))
    os.environ["MUSIC_VAE_PROGRESS"] = "summary"
    if not args.reuse_cache:
        os.environ["MUSIC_VAE_CACHE"] = str(work / "cache")   # inherited by the notebook kernels
    failures = []
    for name in args.only or TASKS:
        task = TASKS[name]
        out = work / task
        print(f"=== {name}: re-running into {out}", flush=True)
        pm.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(work / f"{name}.ipynb"),
                            kernel_name="python3", cwd=str(ROOT / "notebooks"),
                            parameters={"RESULTS_DIR": str(out)}, progress_bar=False, log_output=True)
        committed = sorted((ROOT / "results" / task).glob("*.csv"))
        if not committed:
            failures.append(f"{task}: no committed CSV files in results/{task}/")
        for path in committed:
            problems = compare_tables(path, out / path.name, args.tolerance)
            print(f"  {task}/{path.name}: " + ("same" if not problems else "DIFFERENT"))
            failures += [f"{task}/{p}" for p in problems]
    if failures:
        print("\nNot reproduced:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print(f"\nReproduced: every table in results/ matches the re-run within {args.tolerance:g}.")


if __name__ == "__main__":
    main()
