"""Notebook smoke runs: papermill on small data with QUICK parameters into a temporary folder."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

import utils

NOTEBOOKS = utils.PROJECT_ROOT / "notebooks"
RANGES = {"silhouette": (-1, 1), "silhouette_features": (-1, 1), "davies_bouldin": (0, None),
          "calinski_harabasz": (0, None), "nmi_genre": (0, 1), "ari_genre": (-1, 1), "purity_genre": (0, 1),
          "nmi_language": (0, 1), "ari_language": (-1, 1), "purity_language": (0, 1), "noise_share": (0, 1)}


def _results_state() -> dict[str, str]:
    root = utils.PROJECT_ROOT / "results"
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def run_notebook(name: str, tmp_path: Path, **parameters) -> Path:
    """Execute a notebook with papermill into tmp_path; return its results folder."""
    import papermill as pm

    results = tmp_path / "results"
    pm.execute_notebook(str(NOTEBOOKS / name), str(tmp_path / name), kernel_name="python3",
                        cwd=str(NOTEBOOKS), parameters={"QUICK": True, "RESULTS_DIR": str(results), **parameters},
                        progress_bar=False)
    return results


def check_metrics(results: Path, methods: set[str], n_seeds: int) -> pd.DataFrame:
    metrics = pd.read_csv(results / "metrics.csv")
    assert list(metrics.columns) == utils.METRIC_COLUMNS
    assert set(metrics["method"]) == methods
    assert metrics.groupby("method")["seed"].nunique().eq(n_seeds).all()
    for col, (lo, hi) in RANGES.items():
        values = metrics[col].dropna()
        assert (values >= lo - 1e-9).all() and (hi is None or (values <= hi + 1e-9).all()), col
    assert metrics["nmi_genre"].notna().all()
    return metrics


EASY_METHODS = {"VAE + K-Means", "PCA + K-Means", "Raw features + K-Means"}


def test_easy_notebook_on_tiny_demo(tiny_demo, tmp_path):
    before = _results_state()
    results = run_notebook("01_easy.ipynb", tmp_path, DATASET="demo", DATA_DIR=str(tiny_demo))
    metrics = check_metrics(results, EASY_METHODS, n_seeds=2)
    assert metrics["nmi_language"].notna().all()
    for fig in ("training_curves", "scores", "tsne_latent", "umap_latent"):
        assert (results / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assignments = pd.read_csv(results / "assignments.csv")
    assert len(assignments) == 24 * 3 * 2 and set(assignments.columns) == {"track_id", "method", "seed", "cluster"}
    assert _results_state() == before          # a smoke run never writes over results/


def test_easy_notebook_on_gtzan_feature_table(shared_gtzan, tmp_path):
    results = run_notebook("01_easy.ipynb", tmp_path, DATASET="features",
                           DATA_DIR=str(shared_gtzan / "features_30_sec.csv"), SEEDS=[0])
    metrics = check_metrics(results, EASY_METHODS, n_seeds=1)
    assert metrics["nmi_language"].isna().all()       # GTZAN has no language labels
    assert (metrics["n_clusters"] == 10).all()
