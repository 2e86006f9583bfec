"""Figures: one visual language for every plot of the three notebooks (a fixed color per
genre, language, method and algorithm), 2-D embeddings, and saving figures. ``utils`` imports
the functions the notebooks call."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# One visual language for every figure: a fixed color per genre, per language, per method and
# per clustering algorithm; cluster ids in light hues, numbered on the plot, so a cluster panel
# is never read as a label panel; readable metric names.
GENRE_COLORS = dict(zip(["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae",
                          "rock"], ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                    "#7f7f7f", "#bcbd22", "#17becf"]))
LANGUAGE_COLORS = {"en": "#1b9e77", "bn": "#d95f02", "de": "#7570b3", "instrumental": "#555555",
                    "unknown": "#bbbbbb"}
METHOD_COLORS = {
    # audio baselines: greys, purples (spectral) and brown (the autoencoder)
    "raw MFCC statistics": "#8c8c8c", "Raw features + K-Means": "#8c8c8c", "PCA (MFCC)": "#5a5a5a",
    "PCA + K-Means": "#5a5a5a", "log-mel band statistics": "#7b4f9d", "PCA (log-mel patches)": "#b99fd1",
    "conv AE": "#a6761d",
    # VAEs on audio: blues (the easy MLP VAE in teal), lighter as beta grows
    "VAE + K-Means": "#1f5fa8", "easy MLP VAE (MFCC)": "#1b9aaa", "conv VAE (audio)": "#1f5fa8",
    "Beta-VAE beta=1": "#1f5fa8", "Beta-VAE beta=4": "#4a8fd4", "Beta-VAE beta=8": "#7fb2e0",
    "Beta-VAE beta=16": "#4a8fd4", "Beta-VAE beta=64": "#7fb2e0", "Beta-VAE beta=256": "#b3d1ef",
    # with lyrics: greens; conditional: oranges
    "lyrics": "#74c476", "hybrid (conv VAE + lyrics)": "#238b45", "medium hybrid (conv VAE + lyrics)": "#238b45",
    "multimodal VAE": "#00441b", "CVAE given language": "#e6550d", "CVAE given genre": "#fdae6b"}
ALGORITHM_COLORS = {"kmeans": "#4c72b0", "agglomerative": "#55a868", "gmm": "#8172b3", "dbscan": "#c44e52"}
METRIC_NAMES = {"nmi_genre": "NMI (genre)", "ari_genre": "ARI (genre)", "purity_genre": "purity (genre)",
                "acc_genre": "matched accuracy (genre)", "nmi_language": "NMI (language)",
                "ari_language": "ARI (language)", "purity_language": "purity (language)",
                "acc_language": "matched accuracy (language)", "silhouette": "silhouette (own space)",
                "silhouette_features": "silhouette (MFCC-statistics space)", "calinski_harabasz": "Calinski-Harabasz",
                "davies_bouldin": "Davies-Bouldin (lower is better)", "noise_share": "share called noise",
                "n_clusters": "clusters found", "reconstruction": "reconstruction term",
                "reconstruction_mse": "reconstruction MSE (per value)", "kl": "KL term", "active_units": "active units",
                "mig_genre": "MIG (genre)", "mig_language": "MIG (language)", "loss": "loss",
                "heldout_elbo_loss": "held-out negative ELBO (lower is better)", "selected_epoch": "epoch chosen"}
_EXTRA_COLORS = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
                  "#756bb1", "#636363", "#6b6ecf", "#b5cf6b", "#e7ba52", "#d6616b", "#ce6dbd", "#9c9ede"]


def metric_name(metric: str) -> str:
    """Return the readable name of a metric column (e.g. 'nmi_genre' -> 'NMI (genre)')."""
    return METRIC_NAMES.get(metric, metric.replace("_", " "))


def label_palette(values, kind: str = "genre") -> dict:
    """Return {value: color} for a label column ('genre', 'language', 'method' or 'algorithm'):
    the fixed color of every known value, and colors from a reserve palette, in sorted
    order, for values the fixed table does not know."""
    fixed = {"genre": GENRE_COLORS, "language": LANGUAGE_COLORS, "method": METHOD_COLORS,
             "algorithm": ALGORITHM_COLORS}.get(kind, {})
    names = sorted(pd.Series(np.asarray(list(values), dtype=object)).fillna("unknown").astype(str).unique())
    others = iter(_EXTRA_COLORS * (1 + len(names) // len(_EXTRA_COLORS)))
    return {name: fixed[name] if name in fixed else next(others) for name in names}


def cluster_palette(clusters) -> dict:
    """Return {cluster id: color}: light, evenly spaced hues (never the label palettes); noise (-1) grey."""
    import seaborn as sns

    ids = sorted(set(int(c) for c in clusters))
    hues = iter(sns.husl_palette(max(1, len([i for i in ids if i >= 0])), l=0.72, s=0.75))
    return {i: "#d0d0d0" if i < 0 else next(hues) for i in ids}


def set_plot_style() -> None:
    """Set the plot style of every notebook: seaborn's white grid, and inline figures at 72 dpi
    (the saved PNGs in results/ use :func:`save_figure`'s own resolution)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 72, "axes.titlesize": "medium", "legend.fontsize": "small"})


def embed_2d(Z: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """Return a 2-D embedding of rows of Z for plotting: 't-SNE' (scikit-learn) or 'umap'
    (umap-learn); rows holding NaN (no vector) get NaN coordinates and are not drawn. Returns
    None, saying why, when there is nothing to map (fewer than 3 rows, or all rows identical)."""
    rows = np.isfinite(Z).all(axis=1)
    if rows.sum() < 3 or np.ptp(Z[rows], axis=0).max() < 1e-12:
        print(f"No {method} map: {int(rows.sum())} vector(s), " + ("all identical" if rows.sum() >= 3 else "too few")
              + "; there is nothing to place in two dimensions.")
        return None
    if not rows.all():
        out = np.full((len(Z), 2), np.nan)
        out[rows] = embed_2d(Z[rows], method, seed)
        return out
    if method == "tsne":
        from sklearn.manifold import TSNE

        return TSNE(2, perplexity=min(30.0, (len(Z) - 1) / 3), init="pca", random_state=seed).fit_transform(Z)
    if method == "umap":
        import umap

        return umap.UMAP(n_neighbors=min(15, len(Z) - 1), random_state=seed, n_jobs=1).fit_transform(Z)
    raise ValueError(f"unknown 2-D method {method!r}: use 'tsne' or 'umap'")


def plot_embeddings(points: dict[str, np.ndarray], colorings: dict, title: str = ""):
    """Return a grid figure: one row per embedding (e.g. VAE, PCA), one column per coloring
    (e.g. cluster, genre, language). A coloring is one array for every row, or a dict giving
    each row its own (e.g. each method's cluster labels). A coloring whose name contains
    'cluster' gets the cluster palette and each cluster's number at its median point; 'genre'
    and 'language' get their fixed colors."""
    import matplotlib.pyplot as plt

    points = {name: xy for name, xy in points.items() if xy is not None}   # None: nothing to map (embed_2d said why)
    if not points:
        return None
    fig, axes = plt.subplots(len(points), len(colorings), figsize=(5.0 * len(colorings), 4.0 * len(points)),
                             squeeze=False)
    for r, (row_name, xy) in enumerate(points.items()):
        for c, (col_name, values) in enumerate(colorings.items()):
            ax = axes[r, c]
            values = values[row_name] if isinstance(values, dict) else values
            is_cluster = "cluster" in col_name.lower()
            if is_cluster:
                ids = np.asarray(values).astype(int)
                palette = cluster_palette(ids)
                ax.scatter(xy[:, 0], xy[:, 1], c=[palette[i] for i in ids], s=18, linewidths=0)
                for i in sorted(set(ids) - {-1}):
                    mx, my = np.median(xy[ids == i], axis=0)
                    ax.text(mx, my, str(i), ha="center", va="center", fontsize=9, fontweight="bold",
                            bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=palette[i], alpha=0.85))
            else:
                hue = pd.Series(np.asarray(values, dtype=object)).fillna("unknown").astype(str).to_numpy()
                palette = label_palette(hue, "language" if "language" in col_name else "genre")
                for name, color in palette.items():
                    sel = hue == name
                    ax.scatter(xy[sel, 0], xy[sel, 1], color=color, s=18, linewidths=0, label=name)
                ax.legend(fontsize=7, markerscale=1.2, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                          title=col_name, title_fontsize=8)
            ax.set(xticks=[], yticks=[], title=f"{row_name}: colored by {col_name}")
    if title:
        fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig


def plot_scores(scores: pd.DataFrame, metrics: list[str], by: str = "method", title: str = ""):
    """Return a bar chart per metric: mean per method (each in its fixed color) with the
    standard deviation over seeds as an error bar."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not metrics:
        print("No scores to plot: the data has fewer than two known values of every label.")
        return None
    order = list(dict.fromkeys(scores[by]))
    palette = label_palette(order, "method")
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.0 * len(metrics) + 2.2, 0.45 * len(order) + 1.6),
                             squeeze=False, sharey=True)
    for ax, metric in zip(axes[0], metrics):
        sns.barplot(data=scores, y=by, x=metric, hue=by, order=order, hue_order=order, palette=palette,
                    errorbar="sd", ax=ax, legend=False)
        ax.set(title=metric_name(metric), xlabel="", ylabel="")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(histories: pd.DataFrame, title: str = "VAE training"):
    """Return loss curves (total, reconstruction, KL) per epoch, one line per seed."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    names = {"loss": "loss (negative ELBO, KL warm-up weighted)", "reconstruction": "reconstruction term",
             "kl": "KL term"}
    for ax, col in zip(axes, names):
        sns.lineplot(data=histories, x="epoch", y=col, hue="seed", palette="viridis", ax=ax, legend=col == "kl")
        ax.set(title=names[col], ylabel="nats per item")
    axes[-1].legend(title="seed", fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_k_distance(curves: dict[str, tuple[np.ndarray, float]], min_samples: int):
    """Return the sorted k-distance curves (distance to the ``min_samples``-th neighbour) with the
    eps chosen at each knee marked, one panel per representation."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.3), squeeze=False)
    for ax, (name, (curve, eps)) in zip(axes[0], curves.items()):
        ax.plot(curve, lw=1.5, color=METHOD_COLORS.get(name, "#4c72b0"))
        ax.axhline(eps, color=ALGORITHM_COLORS["dbscan"], ls="--", lw=1, label=f"eps = {eps:.3g}")
        ax.set(title=name, xlabel="points, sorted", ylabel=f"distance to neighbour {min_samples}")
        ax.legend(fontsize=8)
    fig.suptitle("DBSCAN: eps at the knee of the k-distance curve")
    fig.tight_layout()
    return fig


def plot_contingency(clusters: np.ndarray, labels: dict[str, pd.Series | np.ndarray], title: str = ""):
    """Return heatmaps of cluster x label counts (one per label, e.g. genre and language); each
    cluster's row is shaded by its share of the cluster, and the counts are written in."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    widths = [max(2, pd.Series(np.asarray(v, dtype=object)).nunique()) for v in labels.values()]
    fig, axes = plt.subplots(1, len(labels), figsize=(2.2 + 0.55 * sum(widths) + 1.6 * len(labels),
                                                      0.4 * len(set(clusters)) + 1.8),
                             squeeze=False, gridspec_kw=dict(width_ratios=widths))
    for ax, (name, y) in zip(axes[0], labels.items()):
        table = pd.crosstab(pd.Series(clusters, name="cluster"),
                            pd.Series(np.asarray(y, dtype=object), name=name).fillna("unknown"))
        share = table.div(table.sum(axis=1), axis=0)
        sns.heatmap(share, annot=table, fmt="d", cmap="Blues", vmin=0, vmax=1, cbar=False, ax=ax,
                    annot_kws={"fontsize": 7})
        ax.set(title=f"clusters x {name} (shade: share of the cluster)", xlabel=name, ylabel="cluster")
        ax.tick_params(axis="x", rotation=45)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_spectrograms(rows: dict[str, list[np.ndarray]], column_titles: list[str] | None = None, title: str = "",
                      seconds: float | None = None, vlim: float = 2.5):
    """Return a grid of log-mel patches in standardized units (one row per entry, e.g. original,
    each model's reconstruction, or a latent traversal), mel bands upwards, time in seconds
    across (``seconds``: the patch's duration), with one shared color bar."""
    import matplotlib.pyplot as plt

    n_cols = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(1.9 * n_cols + 2.2, 1.6 * len(rows) + 0.9),
                             squeeze=False, sharex=True, sharey=True, constrained_layout=True)
    image = None
    for r, (name, patches) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(patches):
                ax.axis("off")
                continue
            patch = np.squeeze(patches[c])
            extent = (0, seconds if seconds else patch.shape[1], 0, patch.shape[0])
            image = ax.imshow(patch, origin="lower", aspect="auto", cmap="magma", vmin=-vlim, vmax=vlim, extent=extent)
            ax.grid(False)   # the plot style's grid would draw lines over the image
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(f"{name}\nmel band", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("time (s)" if seconds else "frame", fontsize=8)
            if r == 0 and column_titles:
                ax.set_title(column_titles[c], fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="log-mel, standardized per band (sd)")
    if title:
        fig.suptitle(title)
    return fig


def plot_sweep(table: pd.DataFrame, x: str, metrics: list[str], hue: str | None = None, title: str = "",
               log_x: bool = False, reference: pd.DataFrame | None = None, reference_name: str = ""):
    """Return line plots of metrics against a swept setting (mean and sd over the seeds in ``table``),
    with the mean of a ``reference`` model's rows as a dotted line where it has that metric."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    metrics = [m for m in metrics if table[m].notna().any()]   # an undefined score gets no empty panel
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 3.3), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        sns.lineplot(data=table, x=x, y=metric, hue=hue, marker="o", errorbar="sd", ax=ax, color="#1f5fa8",
                     legend=ax is axes[0, -1] and hue is not None)
        ax.set(title=metric_name(metric), ylabel="")
        if reference is not None and reference[metric].notna().any():
            ax.axhline(reference[metric].mean(), color="grey", ls=":", lw=1, label=reference_name)
        if log_x:   # swept values such as 1, 4, 8 evenly spaced, labelled as they are
            from matplotlib.ticker import NullFormatter

            ticks = sorted(v for v in table[x].unique() if v > 0)
            ax.set_xscale("log", base=2)
            ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
    if reference is not None:
        axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_size_study(table: pd.DataFrame):
    """Return the conv VAE size study (benchmarks/conv_size.py): per set (rows), the held-out
    negative ELBO and genre NMI against latent size, one line per channel width (mean and sd
    over seeds), the size judged enough by the held-out loss circled."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sets = list(dict.fromkeys(table["set"]))
    fig, axes = plt.subplots(len(sets), 2, figsize=(7.2, 2.8 * len(sets)), squeeze=False)
    for row, name in zip(axes, sets):
        part = table[table["set"] == name]
        for ax, metric in zip(row, ["heldout_loss", "nmi_genre"]):
            sns.lineplot(data=part, x="latent_dim", y=metric, hue="channels", marker="o", errorbar="sd", ax=ax,
                         palette="viridis", legend=ax is row[0])
            chosen = part[part["enough"]].groupby(["latent_dim", "channels"])[metric].mean()
            ax.scatter([d for d, _ in chosen.index], chosen.to_numpy(), s=180, facecolors="none", edgecolors="red")
            ax.set(title=f"{name}: {metric_name(metric)}", ylabel="", xscale="log")
            ax.set_xticks(sorted(part["latent_dim"].unique()), [f"{v:g}" for v in sorted(part["latent_dim"].unique())])
            ax.minorticks_off()
    fig.tight_layout()
    return fig


def plot_variant_history(histories: pd.DataFrame):
    """Return the reconstruction and KL terms per epoch of several models (mean ± sd over seeds),
    one color per model in both panels and one legend beside them; KL on a log axis."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    palette = label_palette(histories["model"], "method")
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    for ax, column in zip(axes, ["reconstruction", "kl"]):
        shown = histories[histories.model != "conv AE"] if column == "kl" else histories   # the AE has no KL term
        sns.lineplot(data=shown, x="epoch", y=column, hue="model", hue_order=list(palette), palette=palette,
                     errorbar="sd", ax=ax, legend=column == "reconstruction")
        ax.set(ylabel="nats per patch", yscale="log" if column == "kl" else "linear")
    axes[1].yaxis.set_major_formatter(ScalarFormatter())   # plain numbers on the log axis
    axes[1].yaxis.set_minor_formatter(NullFormatter())
    axes[0].set_title("reconstruction term (multimodal models: audio + weighted lyrics)")
    axes[1].set_title("KL term (the conv AE has none), mean ± sd over seeds")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[0].get_legend().remove()
    fig.tight_layout()
    fig.legend(handles, labels, title="model", loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8, frameon=False)
    return fig


def plot_latent_information(tables: dict[str, pd.DataFrame], title: str):
    """Return one heatmap per model of each latent unit's information about each label (rows: units;
    each cell's value written in it up to 32 units, beyond that the colour bar reads it)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    n_units = max(len(t) for t in tables.values())
    annotate = n_units <= 32
    height = (0.22 if annotate else 0.12) * n_units + 1.6
    fig, axes = plt.subplots(1, len(tables), figsize=(2.3 * len(tables) + 1, height), sharey=True)
    vmax = max(0.3, *(t.to_numpy().max() for t in tables.values() if not t.empty))   # one colour scale for all
    for ax, (name, table) in zip(np.atleast_1d(axes), tables.items()):
        sns.heatmap(table, annot=annotate, fmt=".2f", cmap="Reds", vmin=0, vmax=vmax,
                    cbar=ax is np.atleast_1d(axes)[-1] and not annotate, ax=ax, annot_kws={"fontsize": 7})
        ax.set(title=name.replace("Beta-VAE ", ""), xlabel="")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_grouped_scores(scores: pd.DataFrame, metrics: list[str], title: str):
    """Return bar charts of each metric per method (mean ± sd over seeds), methods ordered and
    colored by group: baselines, the pretrained reference, this notebook's models, conditional ones."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rank = {"baseline": 0, "reference": 1, "this notebook": 2, "conditional": 3}
    palette = {"baseline": "#9aa5b1", "reference": "#6b8e23", "this notebook": "#3a7dc9", "conditional": "#e39b3a"}
    first_seen = list(dict.fromkeys(scores["method"]))
    group = scores.drop_duplicates("method").set_index("method")["group"]
    order = sorted(first_seen, key=lambda m: (rank[group[m]], first_seen.index(m)))
    fig, axes = plt.subplots(1, len(metrics), figsize=(2.9 * len(metrics) + 2.5, 0.36 * len(order) + 1.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics):
        sns.barplot(data=scores, y="method", x=metric, hue="group", order=order, palette=palette, errorbar="sd",
                    dodge=False, ax=ax, legend=ax is axes[-1])
        ax.set(title=metric_name(metric), xlabel="", ylabel="")
    fig.suptitle(title)
    sns.move_legend(axes[-1], "upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure,
                    ncol=4, title="group", frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_whisper_quality(quality: pd.DataFrame, title: str, device_type: str):
    """Return a row of bar charts of Whisper's quality per language (WER, words found in the
    lyrics, language detection, share passed as speech, seconds per track)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    panels = {"wer": "word error rate (lower is better)", "words_in_lyrics": "share of heard words in the lyrics",
              "language_detection_accuracy": "language detection accuracy",
              "share_speech": "share passed as speech by the gate",
              "seconds_per_track": f"seconds per track (batched, {device_type})"}
    fig, axes = plt.subplots(1, len(panels), figsize=(19, 3.4))
    for ax, (column, name) in zip(axes, panels.items()):
        sns.barplot(data=quality, x="language", y=column, hue="language", legend=False, ax=ax,
                    palette=label_palette(quality["language"], "language"))
        ax.set(title=name, ylabel="", xlabel="true language")
    fig.suptitle(f"{title} (instrumental: no WER; detection = transcript left empty)")
    fig.tight_layout()
    return fig


def plot_algorithm_scores(scores: pd.DataFrame, metrics: list[str]):
    """Return bar charts of each metric by representation (rows) and algorithm (colors), mean ± sd over seeds."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    n_reps, n_seeds = scores.representation.nunique(), scores.seed.nunique()
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.3 * len(metrics) + 2.5, 0.8 * n_reps + 1.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics):
        sns.barplot(data=scores, y="representation", x=metric, hue="algorithm", errorbar="sd", ax=ax,
                    palette=ALGORITHM_COLORS, legend=ax is axes[0])
        ax.set(title=metric_name(metric), xlabel="", ylabel="")
    sns.move_legend(axes[0], "upper center", bbox_to_anchor=(0.5, 0.0), ncol=scores.algorithm.nunique(),
                    title="algorithm", frameon=False, bbox_transform=fig.transFigure)
    fig.suptitle(f"{n_reps} representations x {scores.algorithm.nunique()} algorithms, mean ± sd over {n_seeds} "
                 "seeds (a missing bar: undefined for that clustering)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_k_choice(k_choice: pd.DataFrame, true_k: int, title: str):
    """Return the silhouette against k (mean ± sd over seeds), with the true number of genres and
    the k each seed's silhouette picks (their median), chosen without labels."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    best_k = k_choice.loc[k_choice.groupby("seed")["silhouette"].idxmax()].set_index("seed")["k"]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    sns.lineplot(data=k_choice, x="k", y="silhouette", marker="o", errorbar="sd", ax=ax)
    ax.axvline(true_k, color="tab:green", ls="--", label=f"true number of genres ({true_k})")
    ax.axvline(best_k.median(), color="tab:red", ls=":",
               label=f"chosen by silhouette (median over seeds: {best_k.median():g}; per seed {best_k.tolist()})")
    ax.set(title=title, ylabel="silhouette")
    ax.legend(fontsize=8)
    return fig


def show_figure(fig, jpeg: bool = False, dpi: int = 72) -> None:
    """Show a figure in the notebook and close it; ``jpeg=True`` for image grids (spectrograms),
    whose PNG would weigh a megabyte in the saved notebook (the PNG in results/ is unaffected)."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg" if jpeg else "png", dpi=dpi, bbox_inches="tight",
                **({"pil_kwargs": {"quality": 85}} if jpeg else {}))
    plt.close(fig)
    display(Image(buffer.getvalue(), format="jpeg" if jpeg else "png"))


def save_figure(fig, name: str, results_dir: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as ``<results_dir>/figures/<name>.png``; return the path (None
    for no figure: a plot function returns None when there is nothing to draw, and says why)."""
    if fig is None:
        return None
    path = Path(results_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
