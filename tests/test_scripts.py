"""The reproducibility check's comparison finds differences and ignores wall-time columns."""
from __future__ import annotations

import json
import sys

import pandas as pd

import utils
from data import caching

sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
import check_results  # noqa: E402
import provenance  # noqa: E402
from check_reproducible import compare_tables  # noqa: E402


def test_compare_tables(tmp_path):
    a = pd.DataFrame({"method": ["x", "y"], "nmi": [0.5, float("nan")], "seconds_per_track": [1.0, 2.0]})
    a.to_csv(tmp_path / "a.csv", index=False)
    a.assign(seconds_per_track=[9.0, 9.0]).to_csv(tmp_path / "same.csv", index=False)
    assert compare_tables(tmp_path / "a.csv", tmp_path / "same.csv", 1e-9) == []
    a.assign(nmi=[0.5 + 1e-6, float("nan")]).to_csv(tmp_path / "num.csv", index=False)
    assert "nmi" in compare_tables(tmp_path / "a.csv", tmp_path / "num.csv", 1e-9)[0]
    assert compare_tables(tmp_path / "a.csv", tmp_path / "num.csv", 1e-3) == []
    a.assign(nmi=[0.5, 0.1]).to_csv(tmp_path / "nan.csv", index=False)
    assert "NaNs differ" in compare_tables(tmp_path / "a.csv", tmp_path / "nan.csv", 1.0)[0]
    a.assign(method=["x", "z"]).to_csv(tmp_path / "text.csv", index=False)
    assert "text differs" in compare_tables(tmp_path / "a.csv", tmp_path / "text.csv", 1e-9)[0]
    assert "not written" in compare_tables(tmp_path / "a.csv", tmp_path / "missing.csv", 1e-9)[0]


def test_provenance_hashes_code_not_outputs_and_names_changed_files(tmp_path):
    import json
    import shutil

    for name in provenance.CODE_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(caching.PROJECT_ROOT / name, tmp_path / name)
    before = provenance.file_hashes(tmp_path)
    nb_path = tmp_path / "notebooks" / "01_easy.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:                                   # outputs and prose are not code
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["anything"]}]
        else:
            cell["source"] = ["other prose"]
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": ["QUICK = True"],
                           "outputs": [], "execution_count": 1})
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    assert provenance.file_hashes(tmp_path) == before
    (tmp_path / "utils.py").write_text((tmp_path / "utils.py").read_text() + "\n# a change\n")
    after = provenance.file_hashes(tmp_path)
    assert [k for k in before if before[k] != after[k]] == ["utils.py"]
    assert provenance.combined_hash(after) != provenance.combined_hash(before)


def test_check_notebook_finds_errors_order_and_size(tmp_path):
    import json

    cells = [{"cell_type": "code", "execution_count": n, "source": [], "metadata": {},
              "outputs": [{"output_type": "error", "ename": "ValueError", "evalue": "bad"}] if n == 2 else []}
             for n in (1, 3, 2)]
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": cells}) + " " * 1_600_000)
    problems = check_results.check_notebook(path)
    assert any("not executed in order" in p for p in problems)
    assert any("raised ValueError: bad" in p for p in problems)
    assert any("over the 1.5 MB limit" in p for p in problems)


def test_provenance_records_stage_seconds_and_ci_leaves_them_out(tmp_path, monkeypatch):
    import provenance
    import check_results

    monkeypatch.setattr(provenance, "RECORD", tmp_path / "provenance.json")
    record = provenance.write(True, {"notebook 01_easy": 61.23, "notebook 02_medium": 300.0})
    assert record["seconds"] == {"notebook 01_easy": 61.2, "notebook 02_medium": 300.0}
    assert record["hardware"]["cpu"] and record["cold_cache"] is True
    monkeypatch.setattr(check_results, "ROOT", tmp_path)
    (tmp_path / "results").mkdir()
    rerun = {**record, "seconds": {"notebook 01_easy": 70.0}}
    (tmp_path / "results" / "provenance.json").write_text(json.dumps(rerun))
    assert check_results._record_diff(record, "results/provenance.json") == ""
    (tmp_path / "results" / "provenance.json").write_text(json.dumps({**rerun, "code_hash": "other"}))
    assert check_results._record_diff(record, "results/provenance.json") == "fields ['code_hash'] differ"


def test_conv_size_rule_takes_the_smallest_model_within_one_deviation_of_the_best():
    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import conv_size

    rows = [(32, 16, 100_000, loss) for loss in (1240, 1260)] + [(64, 8, 60_000, loss) for loss in (1240, 1250)]
    rows += [(16, 8, 20_000, loss) for loss in (1400, 1420)] + [(64, 16, 150_000, loss) for loss in (1200, 1240)]
    table = pd.DataFrame(rows, columns=["latent_dim", "channels", "parameters", "heldout_loss"]).assign(
        seed=[0, 1] * 4, selected_epoch=25, nmi_genre=0.3)
    summary = conv_size.enough(table).set_index(["latent_dim", "channels"])
    # best: 64/16, mean 1220, sd 28.3; within 1248.3: 64/16 and 64/8 (1245), not 32/16 (1250); 64/8 is smaller
    assert summary["enough"].sum() == 1 and summary.loc[(64, 8), "enough"]


def test_fusion_rules_keep_what_both_modalities_agree_on():
    import numpy as np

    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import fusion

    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1, 2], 30)
    centres = rng.normal(scale=6, size=(3, 4))
    audio, lyrics = centres[groups] + rng.normal(size=(90, 4)), centres[groups][:, ::-1] + rng.normal(size=(90, 4))
    joint = fusion.whitened({"audio": audio, "lyrics": lyrics}, 3, seed=0)
    assert joint.shape == (90, 6) and np.allclose(joint.var(axis=0, ddof=1), 1, atol=1e-6)
    lyrics_only = lyrics.copy()
    lyrics_only[:10] = np.nan   # tracks without text: only the audio partitions place them
    labels = fusion.consensus(audio, lyrics_only, 3, seed=0)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(groups, labels) > 0.95


def test_calibrated_loss_is_the_gaussian_nll_at_the_best_shared_variance():
    import numpy as np

    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import calibrated_decoder

    errors = np.random.default_rng(1).normal(scale=0.5, size=(50, 20))   # held-out x - x_hat
    s2 = (errors ** 2).mean()
    nll = (errors ** 2 / (2 * s2) + 0.5 * np.log(2 * np.pi * s2)).sum(axis=1).mean()
    reconstruction = 0.5 * (errors ** 2).sum(axis=1).mean()   # the notebooks' reconstruction term
    assert np.isclose(calibrated_decoder.calibrated_loss(reconstruction, 3.0, 20), nll + 3.0)


def test_poe_posterior_leaves_out_the_missing_lyrics_expert_and_trains_by_the_selection_rule():
    import numpy as np
    import torch

    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import poe_multimodal

    torch.manual_seed(0)
    model = poe_multimodal.PoEVAE(6, text_dim=4, latent_dim=3, hidden_dim=16).eval()
    x, text = torch.randn(2, 6), torch.cat([torch.randn(2, 4), torch.tensor([[1.0], [0.0]])], dim=1)
    mu, logvar = model.encode(x, text)
    mu_a, logvar_a = model.audio_expert(x).clamp(-10, 10).chunk(2, dim=1)
    precision = 1 + torch.exp(-logvar_a[1])          # no text: the prior's expert times the audio's
    assert torch.allclose(logvar[1], -torch.log(precision))
    assert torch.allclose(mu[1], mu_a[1] * torch.exp(-logvar_a[1]) / precision)
    assert (logvar[0] < logvar[1]).all()              # with text the posterior is narrower
    out = model(x, text)
    assert torch.equal(out.text_hat[1], text[1])      # no text: no lyrics reconstruction error
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6)).astype(np.float32)
    rows = np.hstack([rng.normal(size=(20, 4)), (np.arange(20) % 4 > 0)[:, None]]).astype(np.float32)
    _, history, chosen = utils.fit_model(poe_multimodal.PoEVAE, X, 0, text=rows, text_dim=4, latent_dim=3,
                                         hidden_dim=16, epochs=6, warmup_epochs=2, patience=3, cache_dir=None,
                                         verbose=False)
    assert np.isfinite(history["heldout_loss"]).all() and 1 <= chosen["selected_epoch"] <= 6


def test_segment_learning_curve_pairs_vae_and_pca_on_the_same_seeded_subset():
    import numpy as np

    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import learning_curve
    import segment_learning_curve

    rng = np.random.default_rng(0)
    genres = pd.Series(["rock", "jazz"] * 12)
    centres = {"rock": np.full(20, 4.0), "jazz": np.full(20, -4.0)}   # two genres far apart in every segment
    segments = np.stack([centres[g] + rng.normal(size=(3, 20)) for g in genres]).astype(np.float32)
    runs = learning_curve.subsets(len(genres), [0.5, 1.0], seeds=1)
    scores = segment_learning_curve.measure(segments, genres, runs)
    assert scores.groupby("fraction")["tracks"].first().to_dict() == {0.5: 12, 1.0: 24}
    assert set(scores["method"]) == {"VAE on segments + K-Means", "PCA on segments + K-Means"}
    assert np.allclose(scores["nmi_genre"], 1.0)   # each track's mean over its segments lands with its genre
