"""Notebook smoke runs: papermill on small data with small parameters (tasks.SMOKE_PARAMETERS) into a temporary folder."""
from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import utils
from data import caching

sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
from tasks import SMOKE_PARAMETERS, notebook_parameters  # noqa: E402

NOTEBOOKS = caching.PROJECT_ROOT / "notebooks"
RANGES = {"silhouette": (-1, 1), "silhouette_features": (-1, 1), "davies_bouldin": (0, None),
          "calinski_harabasz": (0, None), "nmi_genre": (0, 1), "ari_genre": (-1, 1), "purity_genre": (0, 1),
          "nmi_language": (0, 1), "ari_language": (-1, 1), "purity_language": (0, 1), "noise_share": (0, 1)}


def _results_state() -> dict[str, str]:
    root = caching.PROJECT_ROOT / "results"
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def run_notebook(name: str, tmp_path: Path, **parameters) -> Path:
    """Execute a notebook with papermill into tmp_path; return its results folder."""
    import papermill as pm

    results = tmp_path / "results"
    pm.execute_notebook(str(NOTEBOOKS / name), str(tmp_path / name), kernel_name="python3",
                        cwd=str(NOTEBOOKS), parameters={**SMOKE_PARAMETERS[name], "RESULTS_DIR": str(results), **parameters},
                        progress_bar=False)
    return results


def check_metrics(results: Path, methods: set[str], n_seeds: int, columns: list[str] | None = None) -> pd.DataFrame:
    metrics = pd.read_csv(results / "metrics.csv")
    if columns is None:
        assert list(metrics.columns) == utils.METRIC_COLUMNS
    else:
        assert set(columns) <= set(metrics.columns), set(columns) - set(metrics.columns)
    assert set(metrics["method"]) == methods
    assert metrics.groupby("method")["seed"].nunique().eq(n_seeds).all()
    for col, (lo, hi) in RANGES.items():
        if col not in metrics:   # e.g. no language scores on data without language labels
            continue
        values = metrics[col].dropna()
        assert (values >= lo - 1e-9).all() and (hi is None or (values <= hi + 1e-9).all()), col
    for col in [c for c in metrics.columns if c.startswith("acc_")]:
        assert metrics[col].dropna().between(0, 1).all(), col
    return metrics


EASY_METHODS = {"VAE + K-Means", "PCA + K-Means", "Raw features + K-Means"}


def test_easy_notebook_on_tiny_demo(tiny_demo, tmp_path):
    before = _results_state()
    results = run_notebook("01_easy.ipynb", tmp_path, DATASET="demo", DATA_DIR=str(tiny_demo))
    metrics = check_metrics(results, EASY_METHODS, n_seeds=2)
    assert metrics["nmi_genre"].notna().all() and metrics["nmi_language"].notna().all()
    for fig in ("training_curves", "scores", "tsne_latent", "umap_latent"):
        assert (results / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assignments = pd.read_csv(results / "assignments.csv")
    assert len(assignments) == 24 * 3 * 2 and set(assignments.columns) == {"track_id", "method", "seed", "cluster"}
    selection = pd.read_csv(results / "model_selection.csv")
    assert set(selection["stage"]) == {"size", "final"} and selection["heldout_loss"].notna().all()
    language = pd.read_csv(results / "language_clusters.csv")
    assert language["k"].eq(3).all() and set(language["method"]) == EASY_METHODS   # en, bn, instrumental
    within = pd.read_csv(results / "genre_within_language.csv", index_col="method")
    assert set(within.index) == EASY_METHODS and set(within.columns) == {"bn", "en", "instrumental"}
    assert pd.read_csv(results / "shared_genres.csv")["n_clusters"].eq(4).all()   # every demo genre in every language
    assert _results_state() == before          # a smoke run never writes over results/


def test_easy_notebook_on_gtzan_feature_table(shared_gtzan, tmp_path):
    results = run_notebook("01_easy.ipynb", tmp_path, DATASET="features",
                           DATA_DIR=str(shared_gtzan / "features_30_sec.csv"), SEEDS=[0])
    metrics = check_metrics(results, EASY_METHODS, n_seeds=1)
    assert metrics["nmi_language"].isna().all()       # GTZAN has no language labels
    assert (metrics["n_clusters"] == 10).all()


MEDIUM_REPRESENTATIONS = {"conv VAE (audio)", "lyrics", "hybrid (conv VAE + lyrics)", "easy MLP VAE (MFCC)",
                          "PCA (MFCC)", "log-mel band statistics", "PCA (log-mel patches)", "Whisper encoder (pretrained)"}
MEDIUM_ALGORITHMS = {"kmeans", "agglomerative", "gmm", "dbscan"}


def test_medium_notebook_on_tiny_demo(tiny_demo, tmp_path):
    before = _results_state()
    results = run_notebook("02_medium.ipynb", tmp_path, DATASET="demo", DATA_DIR=str(tiny_demo))
    methods = {f"{r} + {a}" for r in MEDIUM_REPRESENTATIONS for a in MEDIUM_ALGORITHMS}
    metrics = check_metrics(results, methods, n_seeds=2, columns=["representation", "algorithm", "davies_bouldin",
                                                                  "ari_genre", "ari_language", "noise_share"])
    not_dbscan = metrics[metrics.algorithm != "dbscan"]
    assert not_dbscan[["nmi_genre", "nmi_language", "silhouette", "davies_bouldin"]].notna().all().all()
    assert (not_dbscan["n_clusters"] == 4).all()
    # tracks without text (the instrumentals) are in no lyrics cluster; every other clustering places every track
    no_text = (pd.read_csv(tiny_demo / "metadata.csv")["lyrics"].fillna("") == "").mean()
    lyrics_rows = not_dbscan.representation == "lyrics"
    assert 0 < no_text < 1 and np.allclose(not_dbscan.loc[lyrics_rows, "noise_share"], no_text)
    assert (not_dbscan.loc[~lyrics_rows, "noise_share"] == 0).all()
    # DBSCAN with one cluster has undefined internal scores: empty, never 0
    one = metrics[(metrics.algorithm == "dbscan") & (metrics.n_clusters < 2)]
    assert one["silhouette"].isna().all()
    quality = pd.read_csv(results / "lyrics_quality.csv")
    assert set(quality["language"]) == {"en", "bn", "instrumental"}
    assert quality["seconds_per_track"].gt(0).all() and quality["language_detection_accuracy"].between(0, 1).all()
    assert pd.read_csv(results / "choose_k.csv")["silhouette"].between(-1, 1).all()
    for fig in ("training_curves", "reconstructions", "dbscan_k_distance", "scores", "umap_representations",
                "choose_k", "whisper_quality"):
        assert (results / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assignments = pd.read_csv(results / "assignments.csv")
    assert len(assignments) == 24 * 8 * 4 * 2
    assert pd.read_csv(results / "language_clusters.csv")["k"].eq(3).all()   # k = number of language values (en, bn, instrumental)
    selection = pd.read_csv(results / "model_selection.csv")
    assert {"conv VAE", "easy MLP VAE"} <= set(selection["model"])
    assert (selection["selected_epoch"] <= selection["epochs_run"]).all() and selection["heldout_tracks"].gt(0).all()
    signal = pd.read_csv(results / "lyrics_signal.csv")
    assert list(signal.columns[:5]) == ["language", "tracks", "genres", "nmi_genre_mean", "nmi_genre_sd"]
    assert set(signal["language"]) == {"en", "bn"}                 # instrumental tracks have no text
    comparisons = pd.read_csv(results / "comparisons.csv")
    assert set(comparisons["verdict"]) <= {"higher", "lower", "level"} and comparisons["n_seeds"].eq(2).all()
    eps = pd.read_csv(results / "dbscan_eps.csv")
    assert eps.groupby(["representation", "seed"])["chosen"].sum().eq(1).all()
    assert _results_state() == before


def test_hard_notebook_on_tiny_demo(tiny_demo, tmp_path):
    before = _results_state()
    results = run_notebook("03_hard.ipynb", tmp_path, DATASET="demo", DATA_DIR=str(tiny_demo))
    methods = {"raw MFCC statistics", "PCA (MFCC)", "log-mel band statistics", "PCA (log-mel patches)", "conv AE",
               "easy MLP VAE (MFCC)", "medium hybrid (conv VAE + lyrics)", "Beta-VAE beta=1", "Beta-VAE beta=16",
               "multimodal VAE", "CVAE given language", "CVAE given genre", "Whisper encoder (pretrained)"}
    metrics = check_metrics(results, methods, n_seeds=2, columns=["group", "conditioned_on", "acc_genre",
                                                                  "purity_genre", "calinski_harabasz"])
    # a CVAE is never scored on the label it was given, and always on the other one
    given_language = metrics[metrics.method == "CVAE given language"]
    assert given_language[["nmi_language", "ari_language", "purity_language", "acc_language"]].isna().all().all()
    assert given_language["nmi_genre"].notna().all()
    given_genre = metrics[metrics.method == "CVAE given genre"]
    assert given_genre["nmi_genre"].isna().all() and given_genre["nmi_language"].notna().all()
    assert set(metrics.loc[metrics.conditioned_on.notna(), "group"]) == {"conditional"}
    unsupervised = metrics[metrics.group != "conditional"]
    assert unsupervised[["nmi_genre", "nmi_language", "acc_genre", "silhouette"]].notna().all().all()
    sweep = pd.read_csv(results / "beta_sweep.csv")
    assert set(sweep["beta"]) == {0.0, 1.0, 16.0} and sweep["reconstruction_mse"].gt(0).all()
    latent_dim = notebook_parameters("03_hard.ipynb")["LATENT_DIM"]
    assert sweep.loc[sweep.beta > 0, "active_units"].between(0, latent_dim).all()
    assert sweep.loc[sweep.beta == 0, "active_units"].isna().all()
    assert {"model_selection.csv", "comparisons.csv"} <= {p.name for p in results.iterdir()}
    assert {"mig_genre", "mig_language"} <= set(sweep.columns)
    for fig in ("training_curves", "beta_sweep", "latent_information", "latent_traversals", "reconstructions",
                "umap_latent", "contingency_multimodal", "contingency_cvae_language", "comparison", "comparison_audio"):
        assert (results / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assert _results_state() == before


def test_hard_notebook_on_gtzan_audio(shared_gtzan, tmp_path):
    """Parameters only: real GTZAN clips with no language or lyrics (Whisper transcribes them)."""
    results = run_notebook("03_hard.ipynb", tmp_path, DATASET="gtzan", DATA_DIR=str(shared_gtzan / "au"), SEEDS=[0])
    methods = {"raw MFCC statistics", "PCA (MFCC)", "log-mel band statistics", "PCA (log-mel patches)", "conv AE",
               "easy MLP VAE (MFCC)", "medium hybrid (conv VAE + lyrics)", "Beta-VAE beta=1", "Beta-VAE beta=16",
               "multimodal VAE", "Whisper encoder (pretrained)"}
    metrics = check_metrics(results, methods, n_seeds=1, columns=["nmi_genre", "acc_genre"])
    assert "nmi_language" not in metrics.columns          # no language labels: no language scores, no CVAE
    assert metrics["nmi_genre"].notna().all()
    executed = (tmp_path / "03_hard.ipynb").read_text(encoding="utf-8")
    assert "CVAE given language: skipped" in executed


@pytest.mark.parametrize("name", ["01_easy.ipynb"])
def test_easy_parameters_are_the_shared_mlp_settings(name):
    params = notebook_parameters(name)
    names = {"hidden_dim": "HIDDEN_DIM", "epochs": "EPOCHS", "warmup_epochs": "WARMUP_EPOCHS", "beta": "BETA",
             "lr": "LR", "batch_size": "BATCH_SIZE", "val_fraction": "VAL_FRACTION", "patience": "PATIENCE"}
    shared = {k: v for k, v in utils.EASY_VAE_SETTINGS.items() if k != "latent_dim"}
    assert {key: params[p] for key, p in names.items()} == shared
    assert params["LATENT_DIM"] is None and utils.EASY_VAE_SETTINGS["latent_dim"] in params["LATENT_DIMS"]


def test_conv_parameters_are_the_same_in_medium_and_hard():
    """The hard notebook's beta = 1 model is the medium notebook's conv VAE (one cache entry) only while both
    notebooks say the same."""
    names = ["N_MELS", "PATCH_FRAMES", "HOP_LENGTH", "N_PATCHES", "LATENT_DIM", "CHANNELS", "EPOCHS", "WARMUP_EPOCHS",
             "LR", "BATCH_SIZE", "VAL_FRACTION", "PATIENCE", "EPOCH_SIZE", "DEVICE"]
    medium, hard = notebook_parameters("02_medium.ipynb"), notebook_parameters("03_hard.ipynb")
    assert {n: medium[n] for n in names} == {n: hard[n] for n in names}
    assert medium["BETA"] == hard["BETAS"][0] == 1.0 and "QUICK" not in medium and "QUICK" not in hard


def test_notebooks_open_with_a_title_and_print_no_source_code():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# "), path.name
        code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "inspect.getsource" not in code, path.name
