"""VAE, clustering and metric helpers: determinism, loss terms, undefined scores."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import utils
from data import caching


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (3, 12))
    X = np.concatenate([c + rng.normal(0, 1, (40, 12)) for c in centres]).astype(np.float32)
    return X, np.repeat(["a", "b", "c"], 40)


def test_vae_training_is_deterministic_and_learns(blobs):
    X, _ = blobs
    # cache_dir=None: both models are really trained (a cache hit would make this test void)
    import torch

    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = utils.VAE(X.shape[1], 4, 32)
        runs.append((model, utils._train_vae(model, X, epochs=30, warmup_epochs=10, seed=3, verbose=False)))
    (m1, h1), (m2, h2) = runs
    np.testing.assert_array_equal(utils.encode_mean(m1, X), utils.encode_mean(m2, X))
    pd.testing.assert_frame_equal(h1, h2)
    assert h1["reconstruction"].iloc[-1] < 0.5 * h1["reconstruction"].iloc[0]
    assert h1["kl_weight"].iloc[0] == pytest.approx(0.1) and h1["kl_weight"].iloc[-1] == 1.0
    assert utils.encode_mean(m1, X).shape == (120, 4)


def test_epoch_size_caps_an_epoch_and_cycles_through_every_row(blobs):
    """epoch_size >= the data changes nothing (the default run's models stay bit-identical); a
    smaller one trains each epoch on the next rows of a seeded stream of permutations."""
    import torch

    X, _ = blobs
    kwargs = dict(epochs=12, warmup_epochs=4, batch_size=25, verbose=False)
    runs = {}
    for rows in (None, len(X), 50):
        torch.manual_seed(0)
        model, seen = utils.VAE(X.shape[1], 4, 32), []
        model.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
        history = utils._train_vae(model, X, epoch_size=rows, **kwargs)
        runs[rows] = history, utils.encode_mean(model, X), torch.cat(seen).numpy()   # encode_mean calls no forward
    pd.testing.assert_frame_equal(runs[None][0], runs[len(X)][0])
    np.testing.assert_array_equal(runs[None][1], runs[len(X)][1])
    seen = runs[50][2]
    assert len(seen) == 12 * 50                           # each epoch: 50 rows, not 120
    ids = [int(np.flatnonzero((X == row).all(axis=1))[0]) for row in seen]
    assert sorted(ids[:120]) == list(range(120))          # the stream's first permutation: every row once
    assert np.bincount(ids, minlength=120).tolist() == [5] * 120   # 600 rows: five permutations in all


def test_vae_loss_terms():
    import torch

    x = torch.zeros(2, 3)
    mu, logvar = torch.zeros(2, 4), torch.zeros(2, 4)
    terms = utils.vae_loss(utils.VAEOutput(x + 1, mu, logvar), x, beta=2.0)
    assert terms["reconstruction"].item() == pytest.approx(1.5) and terms["kl"].item() == pytest.approx(0.0)
    terms = utils.vae_loss(utils.VAEOutput(x, mu + 1, logvar), x, beta=3.0)
    assert terms["kl"].item() == pytest.approx(2.0)        # 0.5 * sum(mu^2) over 4 dims
    assert terms["loss"].item() == pytest.approx(6.0)      # reconstruction 0 + beta * KL


def test_heldout_history(blobs):
    X, _ = blobs
    hist = utils._train_vae(utils.VAE(X.shape[1], 4, 32), X[:100], heldout={"X": X[100:]}, epochs=5, verbose=False)
    assert {"heldout_reconstruction", "heldout_kl", "heldout_loss"} <= set(hist.columns)
    assert np.allclose(hist["heldout_loss"], hist["heldout_reconstruction"] + hist["heldout_kl"])


def test_evaluate_scores_and_undefined_cases(blobs):
    X, y = blobs
    labels = utils.cluster(X, "kmeans", 3, seed=0)
    scores = utils.evaluate(X, labels, {"genre": y, "language": [None] * len(y)})
    assert scores["nmi_genre"] == pytest.approx(1.0) and scores["purity_genre"] == 1.0
    assert "nmi_language" not in scores                   # no known labels: not scored
    one = utils.evaluate(X, np.zeros(len(X), int), {"genre": y})
    assert np.isnan(one["silhouette"]) and np.isnan(one["davies_bouldin"]) and one["n_clusters"] == 1
    noisy = utils.evaluate(X, np.where(np.arange(len(X)) % 10 == 0, -1, labels))
    assert noisy["noise_share"] == pytest.approx(0.1) and noisy["n_clusters"] == 3
    all_noise = utils.evaluate(X, -np.ones(len(X), int))
    assert all_noise["n_clusters"] == 0 and np.isnan(all_noise["silhouette"])


def test_cluster_methods_and_purity(blobs):
    X, y = blobs
    assert len(set(utils.cluster(X, "agglomerative", 3))) == 3
    assert -1 in utils.cluster(X, "dbscan", eps=0.5, min_samples=5)
    assert utils._cluster_purity(["a", "a", "b", "b"], [0, 0, 0, 1]) == 0.75
    with pytest.raises(ValueError, match="unknown clustering"):
        utils.cluster(X, "spectral-magic")


def test_summaries_and_paired_comparisons():
    scores = pd.DataFrame({"method": ["A"] * 5 + ["B"] * 5 + ["C"] * 5, "seed": list(range(5)) * 3,
                           "nmi_genre": [0.50, 0.52, 0.54, 0.51, 0.53, 0.30, 0.31, 0.32, 0.33, 0.29,
                                         0.49, 0.53, 0.55, 0.50, 0.52]})
    summary = utils.summarize_scores(scores)
    assert summary.loc["A", ("nmi_genre", "mean")] == pytest.approx(0.52)
    assert summary.loc["A", ("n_seeds", "")] == 5
    assert utils.format_scores(summary).loc["A", "nmi_genre"] == "0.520 ± 0.016"
    table = utils.paired_differences(scores, "A", ["B", "C"], ["nmi_genre"]).set_index("other")
    assert table.loc["B", "verdict"] == "higher" and table.loc["B", "ci_low"] > 0 and table.loc["B", "n_seeds"] == 5
    assert table.loc["C", "verdict"] == "level" and table.loc["C", "ci_low"] < 0 < table.loc["C", "ci_high"]
    assert table.loc["B", "mean_difference"] == pytest.approx(0.52 - 0.31)
    # pairing matters: C sits above A on every seed by the same small step, with spreads larger than the gap
    paired = pd.DataFrame({"method": ["A"] * 5 + ["C"] * 5, "seed": list(range(5)) * 2,
                           "nmi_genre": [0.1, 0.3, 0.5, 0.2, 0.4, 0.11, 0.31, 0.51, 0.21, 0.41]})
    assert utils.paired_differences(paired, "A", ["C"], ["nmi_genre"])["verdict"][0] == "lower"
    shown = utils.verdict_table(utils.paired_differences(scores, "A", ["B", "C"], ["nmi_genre"])).set_index("against")
    assert shown.loc["B", "verdict"] == "higher" and shown.loc["C", "verdict"] == "level"
    assert shown.loc["B", "difference [95% interval]"].startswith("+0.210 [") and shown.loc["B", "metric"] == "NMI (genre)"


def test_conv_vae_shapes_and_training():
    import torch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 1, 32, 64)).astype(np.float32)
    X[:12, :, :8] += 3.0                                  # two kinds of patch: loud low bands or not
    torch.manual_seed(0)
    model = utils.ConvVAE(n_mels=32, n_frames=64, latent_dim=4, channels=8)
    assert isinstance(model, torch.nn.Module) and "ConvVAE" in repr(model)
    x_hat, mu, logvar, text_hat = model(torch.as_tensor(X))
    assert text_hat is None
    assert x_hat.shape == X.shape and mu.shape == logvar.shape == (24, 4)
    hist = utils._train_vae(model, X, epochs=15, warmup_epochs=5, batch_size=8, lr=3e-3, verbose=False)
    assert hist["reconstruction"].iloc[-1] < 0.7 * hist["reconstruction"].iloc[0]
    Z = utils.encode_mean(model, X)
    assert Z.shape == (24, 4) and np.isfinite(Z).all()
    with pytest.raises(ValueError, match="multiples of 16"):
        utils.ConvVAE(n_mels=40)


def test_combine_blocks_gives_each_block_equal_variance():
    rng = np.random.default_rng(0)
    audio, text = rng.normal(0, 50, (30, 4)) * [1, 1, 1, 0.01], rng.normal(0, 0.01, (30, 384))
    text[:, 0] = 1.0                                         # a constant column stays finite
    joined = utils.combine_blocks({"audio": audio, "text": text})
    assert joined.shape == (30, 388) and np.isfinite(joined).all()
    assert joined[:, :4].var(axis=0).sum() == pytest.approx(1.0, rel=1e-4)
    assert joined[:, 4:].var(axis=0).sum() == pytest.approx(1.0, rel=1e-4)
    # proportions inside a block are kept: the nearly unused unit stays small
    assert joined[:, 3].std() / joined[:, 0].std() == pytest.approx(audio[:, 3].std() / audio[:, 0].std(), rel=1e-4)
    weighted = utils.combine_blocks({"audio": audio, "text": text}, {"text": 0.5})
    assert weighted[:, 4:].var(axis=0).sum() == pytest.approx(0.25, rel=1e-4)


def test_dbscan_eps_chosen_without_labels_separates_blobs(blobs):
    X, y = blobs
    eps, curve, table = utils.choose_dbscan_eps(X, min_samples=5)
    assert len(curve) == len(X) and np.all(np.diff(curve) >= 0) and table["chosen"].sum() == 1
    chosen = table[table.chosen].iloc[0]
    assert chosen.admissible and chosen.eps == eps and chosen.noise_share <= 0.3 and chosen.n_clusters >= 2
    labels = utils.cluster(X, "dbscan", eps=eps, min_samples=5)
    scores = utils.evaluate(X, labels, {"genre": y})
    assert scores["n_clusters"] == 3 and scores["noise_share"] <= 0.3
    kept = labels != -1                                      # the clustered points are grouped exactly by blob
    assert utils.evaluate(X[kept], labels[kept], {"genre": y[kept]})["nmi_genre"] == pytest.approx(1.0)


def test_dbscan_eps_on_duplicated_points_is_positive_and_honest():
    rng = np.random.default_rng(1)
    Z = np.vstack([np.zeros((60, 4)), rng.normal(5, 0.3, (30, 4)), rng.normal(-5, 0.3, (30, 4))])   # 60 identical rows
    eps, _, table = utils.choose_dbscan_eps(Z, min_samples=5)
    assert eps > 0 and (table["eps"] > 0).all()
    labels = utils.cluster(Z, "dbscan", eps=eps, min_samples=5)
    assert len(set(labels) - {-1}) >= 2
    flat = np.random.default_rng(2).uniform(size=(40, 2))           # no density structure: nothing admissible
    _, _, table = utils.choose_dbscan_eps(flat, min_samples=5)
    assert table["chosen"].sum() == 1 and "admissible" in table


def test_choose_k_finds_the_number_of_blobs(blobs):
    X, _ = blobs
    table = utils.choose_k(X, range(2, 7))
    assert table["k"].tolist() == [2, 3, 4, 5, 6]
    assert table.loc[table["silhouette"].idxmax(), "k"] == 3


def test_fit_model_cache_returns_the_trained_model(blobs, tmp_path):
    X, _ = blobs
    kwargs = dict(latent_dim=3, hidden_dim=16, epochs=5, cache_dir=tmp_path, verbose=False)
    m1, h1, _ = utils.fit_model(utils.VAE, X, 1, **kwargs)
    saved = list(tmp_path.rglob("model-*.npz"))
    assert len(saved) == 1
    m2, h2, _ = utils.fit_model(utils.VAE, X, 1, **kwargs)
    np.testing.assert_array_equal(utils.encode_mean(m1, X), utils.encode_mean(m2, X))
    pd.testing.assert_frame_equal(h1, h2)
    # other settings or other data never hit that entry
    utils.fit_model(utils.VAE, X, 2, **kwargs)
    utils.fit_model(utils.VAE, X[:60], 1, **kwargs)
    assert len(list(tmp_path.rglob("model-*.npz"))) == 3


def test_fit_models_trains_side_by_side_as_one_at_a_time(blobs, tmp_path, capsys):
    X, _ = blobs
    shared = dict(hidden_dim=16, epochs=6, patience=3, warmup_epochs=2, verbose=False)
    runs = [dict(seed=0, latent_dim=2, name="a"), dict(seed=1, latent_dim=3, name="b"), dict(seed=0, latent_dim=3)]
    side_by_side = utils.fit_models(utils.VAE, X, runs, cache_dir=tmp_path / "parallel", **shared)
    lines = capsys.readouterr().out
    assert "a seed 0: trained in" in lines and "b seed 1: trained in" in lines   # the workers' lines, in order
    assert lines.index("a seed 0") < lines.index("b seed 1") < lines.index("VAE seed 0")
    one_by_one = [utils.fit_model(utils.VAE, X, **run, cache_dir=tmp_path / "serial", **shared) for run in runs]
    for (m1, h1, c1), (m2, h2, c2) in zip(side_by_side, one_by_one):
        np.testing.assert_array_equal(utils.encode_mean(m1, X), utils.encode_mean(m2, X))
        pd.testing.assert_frame_equal(h1, h2)
        assert c1 == c2
    assert len(list((tmp_path / "parallel").rglob("model-*.npz"))) == 3


def test_conv_vae_variants_have_named_inputs_and_loss_terms():
    import torch

    rng = np.random.default_rng(0)
    patches = rng.normal(size=(12, 1, 16, 32)).astype(np.float32)      # 3 tracks x 4 patches
    text = rng.normal(size=(3, 5)).astype(np.float32)
    onehot, cats = utils.one_hot(["en", "bn", None])
    assert cats == ["bn", "en", "unknown"] and onehot.sum(axis=1).tolist() == [1, 1, 1]
    text_rows, cond_rows = utils.repeat_per_patch(text, 4), utils.repeat_per_patch(onehot, 4)
    assert text_rows.shape == (12, 5) and cond_rows.shape == (12, 3)
    np.testing.assert_array_equal(text_rows[4:8], np.repeat(text[1:2], 4, axis=0))   # track 1's patches
    cvae = utils.ConvVAE(16, 32, latent_dim=4, channels=8, text_dim=5, n_conditions=3)
    x, s, c = (torch.as_tensor(a) for a in (patches, text_rows, cond_rows))
    out = cvae(x, text=s, condition=c)
    assert out.x_hat.shape == patches.shape and out.text_hat.shape == (12, 5) and out.mu.shape == (12, 4)
    with pytest.raises(ValueError, match="pass condition= "):
        cvae(x, text=s)
    with pytest.raises(ValueError, match="text size 0: pass text=None"):
        utils.ConvVAE(16, 32, latent_dim=4, channels=8)(x, text=s)
    # the text block's squared error counts text_weight times; the condition is an input, never reconstructed
    err_x, err_s = torch.zeros(1, 1, 16, 32), torch.zeros(1, 5)
    err_x[0, 0, 0, 0], err_s[0, 0] = 1.0, 1.0
    terms = utils.vae_loss(utils.VAEOutput(err_x, torch.zeros(1, 4), torch.zeros(1, 4), err_s),
                           torch.zeros(1, 1, 16, 32), 1.0, torch.zeros(1, 5), text_weight=10.0)
    assert terms["reconstruction"].item() == pytest.approx(0.5 * (1 + 10))
    # the condition changes the decoder's output: p(x | z, c)
    z = torch.zeros(1, 4)
    a, b = cvae.decode(z, torch.tensor([[1.0, 0, 0]])), cvae.decode(z, torch.tensor([[0, 1.0, 0]]))
    assert not torch.allclose(a, b)
    hist = utils._train_vae(cvae, patches, text_rows, cond_rows, epochs=2, warmup_epochs=1, batch_size=4,
                           text_weight=10.0, verbose=False)
    assert len(hist) == 2 and np.isfinite(hist["loss"]).all()
    Z = utils.encode_mean(cvae, patches, text_rows, cond_rows, n_tracks=3)
    assert Z.shape == (3, 4)
    assert utils.reconstruct(cvae, patches, text_rows, cond_rows).shape == patches.shape
    assert utils.reconstruction_error(cvae, patches, text_rows, cond_rows) > 0
    ae = utils.ConvVAE(16, 32, latent_dim=4, channels=8, variational=False)
    ae.train()
    out1, out2 = ae(x), ae(x)
    assert out1.logvar.eq(0).all() and out1.x_hat.shape == patches.shape
    ae.eval()
    traversal = utils.traverse_latent(ae, np.zeros(4), 2, [-1, 0, 1])
    assert traversal.shape == (3, 16, 32) and not np.allclose(traversal[0], traversal[2])


def test_model_classes_are_module_level_and_picklable():
    import pickle

    for model in (utils.VAE(6, 2, 8), utils.ConvVAE(16, 16, 2, 8, text_dim=3, n_conditions=2)):
        clone = pickle.loads(pickle.dumps(model))
        assert type(clone) is type(model) and type(model).__module__ == "utils"


def test_device_selection_and_moves(monkeypatch, blobs):
    import torch

    assert utils._get_device("cpu").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert utils._get_device("auto").type == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        utils._get_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert utils._get_device("auto").type == "cuda"
    # batches go to the model's device: on the CPU machine, a 'meta' device stands in for a GPU
    read = utils._batch_reader(np.ones((4, 3), np.float32), None, np.ones((4, 2), np.float32), torch.device("meta"))
    x, inputs = read(torch.arange(2))
    assert x.device.type == "meta" and set(inputs) == {"condition"} and inputs["condition"].device.type == "meta"
    assert x.shape == (2, 3)
    X, _ = blobs
    model, _, _ = utils.fit_model(utils.VAE, X, 0, latent_dim=2, hidden_dim=8, epochs=1, cache_dir=None,
                                  verbose=False, device="cpu")
    assert utils._model_device(model).type == "cpu"


def test_fit_model_says_trained_or_loaded_from_cache(blobs, tmp_path, capsys):
    X, _ = blobs
    settings = dict(latent_dim=2, hidden_dim=8, epochs=2, cache_dir=tmp_path, verbose=False, name="tiny VAE")
    utils.fit_model(utils.VAE, X, 0, **settings)
    first = capsys.readouterr().out
    utils.fit_model(utils.VAE, X, 0, **settings)
    second = capsys.readouterr().out
    assert "tiny VAE seed 0: trained in" in first and "loaded from cache" not in first
    assert "tiny VAE seed 0: loaded from cache;" in second and "trained in" not in second


def test_progress_summary_mode_prints_one_line(monkeypatch, capsys):
    monkeypatch.setenv("MUSIC_VAE_PROGRESS", "summary")
    assert sum(caching.progress(range(5), desc="items")) == 10
    bar = caching.progress(total=3, desc="manual")
    bar.update(2)
    bar.update(1)
    bar.close()
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith("items: 5/5 in ") and "manual: 3/3 in" in out.out
    assert "\r" not in out.out + out.err


def test_matched_accuracy_and_latent_information():
    y = np.repeat(["a", "b", "c"], 20)
    perfect = np.repeat([2, 0, 1], 20)                     # same partition, other names
    assert utils._matched_accuracy(y, perfect) == 1.0
    assert utils._matched_accuracy(y, np.zeros(60, int)) == pytest.approx(1 / 3)
    rng = np.random.default_rng(0)
    Z = np.column_stack([perfect + rng.normal(0, 0.05, 60), rng.normal(size=60)])
    info = utils.latent_information(Z, {"genre": y, "empty": [None] * 60})
    assert list(info.columns) == ["genre"]                 # a label with no values is left out
    assert info.loc[0, "genre"] > 0.8 and info.loc[1, "genre"] < 0.2
    assert utils.mutual_information_gap(info)["genre"] == pytest.approx(info.loc[0, "genre"] - info.loc[1, "genre"])


def test_selection_holds_out_whole_tracks_and_keeps_the_best_epoch(blobs, tmp_path):
    mask = utils._split_tracks(50, 0.2, seed=3)
    assert mask.sum() == 10 and np.array_equal(mask, utils._split_tracks(50, 0.2, seed=3))
    assert not np.array_equal(mask, utils._split_tracks(50, 0.2, seed=4))
    rows = np.repeat(mask, 4)                                   # 4 patches per track: a track is on one side only
    assert all(len(set(rows[i * 4:(i + 1) * 4])) == 1 for i in range(50))
    X, _ = blobs
    model, hist, chosen = utils.fit_model(utils.VAE, X, 0, latent_dim=2, hidden_dim=16, epochs=40,
                                          warmup_epochs=5, patience=3, cache_dir=None, verbose=False)
    assert chosen["heldout_tracks"] == 24 and chosen["train_tracks"] == 96
    assert hist["selected"].sum() == 1 and chosen["selected_epoch"] <= chosen["epochs_run"] <= 40
    best = hist.loc[hist.epoch >= 5, "heldout_loss"].idxmin()
    assert hist.loc[best, "epoch"] == chosen["selected_epoch"]
    # the patience rule: stopped exactly `patience` epochs after the best, unless the cap came first
    assert chosen["epochs_run"] == 40 or chosen["epochs_run"] == chosen["selected_epoch"] + 3
    # the held-out loss uses sampled z: repeatable with its seed, different from z = mu
    a = utils._heldout_elbo(model, X[:20], seed=1)["loss"]
    assert a == utils._heldout_elbo(model, X[:20], seed=1)["loss"]


def test_lyrics_genre_signal_scores_each_language_and_its_chance_level():
    rng = np.random.default_rng(0)
    genre = np.repeat(["a", "b", "c"], 20)
    language = np.tile(["en", "bn"], 30)
    emb = rng.normal(size=(60, 8)) + np.repeat(np.eye(8)[:3] * 4, 20, axis=0)   # text carries genre
    empty = np.zeros(60, bool)
    empty[:4] = True
    table = utils.lyrics_genre_signal(emb, genre, language, empty, seeds=range(3)).set_index("language")
    assert set(table.index) == {"en", "bn"} and table.loc["en", "tracks"] == 28
    assert (table["nmi_genre_mean"] > 0.8).all() and (table["nmi_shuffled_mean"] < 0.3).all()


def test_notebook_code_cells_are_the_code_in_utils():
    """The models, loss and training step are the notebooks' #@save cells, written into utils.py unchanged."""
    import sys

    sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
    import export_notebook_code

    text = (caching.PROJECT_ROOT / "utils.py").read_text(encoding="utf-8")
    assert export_notebook_code.updated_utils(text) == text, "run python scripts/export_notebook_code.py"
    block = export_notebook_code.exported_block()
    for name in ("class VAE(", "def vae_loss(", "def train_epoch(", "class ConvVAE(", "def reparameterize("):
        assert block.count(name) == 1, name
    assert "# notebooks/01_easy.ipynb" in block and "# notebooks/02_medium.ipynb" in block


def test_train_epoch_steps_the_optimizer_on_every_batch(blobs):
    import torch

    X, _ = blobs
    torch.manual_seed(0)
    model = utils.VAE(X.shape[1], 2, 16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    steps = []
    optimizer.step = lambda: steps.append(1)
    batches = [(torch.as_tensor(X[i:i + 40]), {}) for i in range(0, len(X), 40)]
    loss, reconstruction, kl = utils.train_epoch(model, batches, optimizer, kl_weight=0.5)
    assert len(steps) == 3 and loss == pytest.approx(reconstruction + 0.5 * kl, rel=1e-5)
