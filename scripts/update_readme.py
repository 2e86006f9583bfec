"""Regenerate the results tables from results/ (never typed by hand): the demo's tables in
results/README.md, the real-data tables in results/real/README.md, and the README's finding.

    python scripts/update_readme.py           # rewrite the blocks between the markers
    python scripts/update_readme.py --check   # exit 1 if a file is out of date

Each block sits between ``<!-- name:start -->`` and ``<!-- name:end -->``.
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
REAL_START, REAL_END = "<!-- real:start -->", "<!-- real:end -->"
FINDING_START, FINDING_END = "<!-- finding:start -->", "<!-- finding:end -->"
README, RESULTS_README, REAL_README = ROOT / "README.md", ROOT / "results" / "README.md", ROOT / "results" / "real" / "README.md"
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
        parts += [f"**{task}** ([`notebooks/{notebook}`](../notebooks/{notebook}), `results/{task}/metrics.csv`)", "",
                  *_table(scores, COLUMNS[task], extra), ""]
    return "\n".join(parts).strip() if parts else "_No results yet: run `make all`._"


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if pd.isna(value) else f"{value:.{digits}f}"


def _paired_cells(r) -> str:
    """Return the last table cells of a paired comparison row: difference [interval] | seeds | verdict |."""
    return f"{r.mean_difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] | {r.n_seeds} | **{r.verdict}** |"


def _language_markdown(easy: Path) -> list[str]:
    """Return the easy notebook's language checks of a set, where languages are known: language NMI
    with k = number of languages, genre NMI within each language, and genre or collection on shared genres."""
    parts = []
    language, within, shared = (easy / f for f in ("language_clusters.csv", "genre_within_language.csv",
                                                   "shared_genres.csv"))
    if language.exists():
        lang = pd.read_csv(language)
        g = lang.groupby("method", sort=False)["nmi_language"].agg(["mean", "std"])
        parts += [f"Language from the features (K-Means, k = {int(lang['k'].iloc[0])} languages), language NMI: "
                  + "; ".join(f"{m} {r['mean']:.3f} ± {r['std']:.3f}" for m, r in g.iterrows()) + ".", ""]
    if within.exists():
        table = pd.read_csv(within, index_col=0)
        parts += ["Genre NMI of the genre clusters within each language (mean over seeds): "
                  + "; ".join(f"{m}: " + ", ".join(f"{lang} {v:.3f}" for lang, v in row.items())
                              for m, row in table.iterrows()) + ".", ""]
    if shared.exists():
        table = pd.read_csv(shared)
        g = table.groupby("method", sort=False)[["nmi_genre", "nmi_language"]].mean()
        parts += [f"On the genres both collections use (K-Means with k = {int(table['n_clusters'].max())} on those "
                  "tracks), does it group by genre or by collection? Mean NMI against genre / against language: "
                  + "; ".join(f"{m} {r['nmi_genre']:.3f} / {r['nmi_language']:.3f}" for m, r in g.iterrows())
                  + ".", ""]
    return parts


FUSION_RULES = ["equal variance", "whitened", "weighted (silhouette)", "consensus"]


def _fusion_markdown(real_root: Path) -> list[str]:
    """Return the fusion study (benchmarks/fusion.py): mean NMI of each modality and rule, and the
    best rule against the better single modality (paired), where committed."""
    scores_path, verdicts_path = real_root / "fusion.csv", real_root / "fusion_verdicts.csv"
    if not (scores_path.exists() and verdicts_path.exists()):
        return []
    scores, verdicts = pd.read_csv(scores_path), pd.read_csv(verdicts_path)
    methods = ["audio alone", "lyrics alone", *FUSION_RULES]
    parts = ["#### Joining audio and lyrics without labels (`benchmarks/fusion.py`)", "",
             "Each modality alone and four label-free rules to join them (the notebooks' equal total variance; "
             "each block's k leading components whitened; the lyrics weight with the best silhouette; a "
             "co-association consensus of per-modality K-Means partitions), K-Means with k = number of genres or "
             "of languages, mean NMI over the seeds; last column: the closest rule minus the better single modality, "
             "paired per-seed difference [95% interval] (which rule comes closest is read off the scores, for "
             "this report only; no rule is chosen by them):", "",
             "| set | audio block | k = number of | NMI against | " + " | ".join(methods) + " | closest rule: gap |",
             "|---|---|---|---|" + "---|" * len(methods) + "---|"]
    for r in verdicts.drop_duplicates(["set", "audio", "k_for", "metric"]).itertuples():
        part = scores[(scores["set"] == r.set) & (scores["audio"] == r.audio) & (scores["k_for"] == r.k_for)]
        means = part.groupby("method")[r.metric].mean()
        rules = verdicts[(verdicts["set"] == r.set) & (verdicts["audio"] == r.audio) & (verdicts["k_for"] == r.k_for)
                         & (verdicts["metric"] == r.metric)]
        best = rules.loc[rules["target_mean"].idxmax()]
        parts.append(f"| {r.set} | {r.audio} | {r.k_for}s | {r.metric.removeprefix('nmi_')} | "
                     + " | ".join(_fmt(means.get(m)) for m in methods)
                     + f" | {best.target}: {best.mean_difference:+.3f} [{best.ci_low:+.3f}, {best.ci_high:+.3f}] "
                       f"**{best.verdict}** |")
    parts.append("")
    return parts


def _poe_markdown(real_root: Path) -> list[str]:
    """Return the product-of-experts multimodal VAE (benchmarks/poe_multimodal.py), where committed."""
    scores_path, verdicts_path = real_root / "poe_multimodal.csv", real_root / "poe_multimodal_verdicts.csv"
    if not (scores_path.exists() and verdicts_path.exists()):
        return []
    scores, verdicts = pd.read_csv(scores_path), pd.read_csv(verdicts_path)
    methods = ["audio alone", "lyrics alone", "VAE on both blocks", "PoE VAE"]
    parts = ["#### A multimodal VAE with a product-of-experts posterior (`benchmarks/poe_multimodal.py`)", "",
             "One encoder per modality (MFCC statistics, lyrics), their Gaussians multiplied with the prior's, so a "
             "track without text has no lyrics expert; one expert dropped at random for a quarter of the training "
             "rows each. Beside it the same MLP as one VAE on both blocks side by side, PCA of the MFCC statistics "
             "(audio alone) and the lyrics alone; K-Means, mean NMI over the seeds; last columns: each joint VAE "
             "minus the better single modality, paired per-seed difference [95% interval]:", "",
             "| set | k = number of | NMI against | " + " | ".join(methods) + " | VAE on both blocks: gap | "
             "PoE VAE: gap |", "|---|---|---|" + "---|" * len(methods) + "---|---|"]
    for r in verdicts.drop_duplicates(["set", "k_for", "metric"]).itertuples():
        part = scores[(scores["set"] == r.set) & (scores["k_for"] == r.k_for)]
        means = part.groupby("method")[r.metric].mean()
        gaps = verdicts[(verdicts["set"] == r.set) & (verdicts["k_for"] == r.k_for) & (verdicts["metric"] == r.metric)
                        ].set_index("target")
        parts.append(f"| {r.set} | {r.k_for}s | {r.metric.removeprefix('nmi_')} | "
                     + " | ".join(_fmt(means.get(m)) for m in methods) + " | "
                     + " | ".join(f"{g.mean_difference:+.3f} [{g.ci_low:+.3f}, {g.ci_high:+.3f}] **{g.verdict}**"
                                  for g in (gaps.loc[m] for m in ["VAE on both blocks", "PoE VAE"])) + " |")
    parts.append("")
    return parts


def _calibrated_markdown(real_root: Path) -> list[str]:
    """Return the KL weights below 1 and the sigma-VAE (benchmarks/calibrated_decoder.py), where committed."""
    scores_path, verdicts_path = real_root / "calibrated_decoder.csv", real_root / "calibrated_decoder_verdicts.csv"
    if not (scores_path.exists() and verdicts_path.exists()):
        return []
    scores, verdicts = pd.read_csv(scores_path), pd.read_csv(verdicts_path)
    vae = scores[scores["method"] != "PCA"].groupby(["set", "model"], sort=False)[
        ["beta", "active_units", "heldout_kl", "heldout_loss", "calibrated_heldout_loss"]].mean()
    parts = ["#### The decoder's variance: KL weights below 1 and the sigma-VAE (`benchmarks/calibrated_decoder.py`)", "",
             "A Gaussian decoder with shared variance s2 is the notebooks' loss at KL weight beta = s2, so the easy "
             "MLP VAE at beta < 1 is a VAE with a narrower decoder; the sigma-VAE row sets beta to the held-out mean "
             "squared error per value of the beta = 1 model (label-free). Held-out negative ELBO as trained, and "
             "calibrated (each model's decoder variance set to its own held-out error: comparable across rows, "
             "nats per track); genre NMI against PCA with as many components, paired per seed; figure: "
             "[`figures/calibrated_decoder.png`](figures/calibrated_decoder.png):", "",
             "| set | model | beta | active units | held-out KL | held-out -ELBO | calibrated -ELBO | VAE NMI | "
             "PCA NMI | difference [95% interval] | seeds | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in verdicts.itertuples():
        v = vae.loc[(r.set, r.model)]
        parts.append(f"| {r.set} | {r.model} | {v.beta:.3g} | {v.active_units:.1f} | {v.heldout_kl:.1f} | "
                     f"{v.heldout_loss:.1f} | {v.calibrated_heldout_loss:.1f} | {r.target_mean:.3f} | "
                     f"{r.other_mean:.3f} | {_paired_cells(r)}")
    parts.append("")
    return parts


def _conv_size_markdown(real_root: Path) -> list[str]:
    """Return the conv VAE size and training-length study (benchmarks/conv_size.py), where committed."""
    size, length = real_root / "conv_size.csv", real_root / "conv_training_length.csv"
    if not size.exists():
        return []
    table = pd.read_csv(size)
    summary = table.groupby(["set", "latent_dim", "channels"], sort=False).agg(
        heldout=("heldout_loss", "mean"), heldout_sd=("heldout_loss", "std"), nmi=("nmi_genre", "mean"),
        nmi_sd=("nmi_genre", "std"), enough=("enough", "first"), seeds=("seed", "nunique")).reset_index()
    parts = ["#### How large the conv VAE needs to be (`benchmarks/conv_size.py`)", "",
             "The medium notebook's conv VAE at each latent size and channel width, trained by the selection rule; "
             "the smallest model whose held-out negative ELBO is within one seed-to-seed deviation of the best is "
             "enough (chosen without labels; genre NMI beside it, not used). Figure: "
             "[`../medium/figures/size_study.png`](../medium/figures/size_study.png).", "",
             "| set | latent size | channels | held-out negative ELBO | genre NMI | seeds | enough |",
             "|---|---|---|---|---|---|---|"]
    parts += [f"| {r.set} | {r.latent_dim} | {r.channels} | {r.heldout:.1f} ± {r.heldout_sd:.1f} | "
              f"{r.nmi:.3f} ± {r.nmi_sd:.3f} | {r.seeds} | {'**yes**' if r.enough else ''} |"
              for r in summary.itertuples()]
    parts.append("")
    if length.exists():
        curve = pd.read_csv(length).groupby(["set", "lr", "epoch"])["heldout_loss"].mean()
        lines = []
        for (name, lr), loss in curve.groupby(level=["set", "lr"]):
            loss = loss.droplevel(["set", "lr"])
            lines.append(f"{name}, learning rate {lr:g}: " + ", ".join(f"epoch {e} {loss[e]:.1f}"
                                                                       for e in (10, 15, 20, 25, 30, 40) if e in loss))
        parts += ["Training length: the held-out negative ELBO of the default model by epoch (mean over seeds), "
                  "at each learning rate (the notebooks use the higher one, capped at 25 epochs):", "",
                  *[f"- {line}" for line in lines], ""]
    return parts


def real_markdown(real_root: Path = ROOT / "results" / "real") -> str:
    """Return the generated real-data block: per set what it is, the "VAE pipeline vs PCA + K-Means"
    verdicts, the audio-only table, Whisper on real singing and language clustering, where present."""
    import json

    records = sorted(real_root.glob("*/run.json"))
    verdicts = pd.read_csv(real_root / "verdicts.csv") if (real_root / "verdicts.csv").exists() else pd.DataFrame()
    parts = []
    for record_path in records:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        name, folder = record["set"], record_path.parent
        minutes = ", ".join(f"{task} {sec / 60:.1f} min" for task, sec in record["seconds"].items())
        parts += [f"#### `{name}`: {record['about']}", "",
                  f"{record['tracks']} tracks; source: {record['source']}. Notebooks run ({minutes} on 2 CPU cores): "
                  f"results in [`results/real/{name}/`]({name}/).", ""]
        v = verdicts[(verdicts.get("set") == name) & (verdicts.get("metric") == "nmi_genre")] if len(verdicts) else verdicts
        if len(v):
            parts += ["VAE pipeline against PCA + K-Means on genre NMI (paired per-seed differences, 95% t interval):", "",
                      "| notebook | VAE pipeline | VAE | PCA + K-Means | difference [95% interval] | seeds | verdict |",
                      "|---|---|---|---|---|---|---|"]
            parts += [f"| {r.task} | {r.target} | {_fmt(r.target_mean)} | {_fmt(r.other_mean)} | {_paired_cells(r)}"
                      for r in v.itertuples()]
            parts.append("")
        hard = folder / "hard" / "metrics.csv"
        easy = folder / "easy" / "metrics.csv"
        if hard.exists():
            scores = pd.read_csv(hard)
            audio = scores[(scores["group"] != "conditional") & ~scores["method"].str.contains("|".join(LYRICS_READERS))]
            parts += ["Audio only (hard notebook, K-Means with k = number of genres):", "",
                      *_table(audio, ["nmi_genre", "ari_genre", "purity_genre", "acc_genre"]), ""]
        elif easy.exists():
            parts += ["Easy notebook (K-Means with k = number of genres):", "",
                      *_table(pd.read_csv(easy), ["nmi_genre", "ari_genre", "purity_genre", "silhouette"]), ""]
        parts += _language_markdown(folder / "easy")
        quality = folder / "medium" / "lyrics_quality.csv"
        if quality.exists():
            q = pd.read_csv(quality)
            parts += ["Whisper base on these songs (medium notebook; WER against the whole song's lyrics, which the "
                      "30-s excerpt only partly holds, so also the share of heard words found in the lyrics):", "",
                      "| language | tracks | WER | heard words in lyrics | language detected | passed as speech | "
                      "no speech | repetitive | low confidence | too few words | s per track |",
                      "|---|---|---|---|---|---|---|---|---|---|---|"]
            parts += [f"| {r.language} | {r.tracks} | {_fmt(r.wer, 2)} | {_fmt(r.words_in_lyrics, 2)} | "
                      f"{_fmt(r.language_detection_accuracy, 2)} | {_fmt(r.share_speech, 2)} | {_fmt(r.share_no_speech, 2)} | "
                      f"{_fmt(r.share_repetitive, 2)} | {_fmt(r.share_low_confidence, 2)} | {_fmt(r.share_too_few_words, 2)} | "
                      f"{_fmt(r.seconds_per_track, 2)} |" for r in q.itertuples()]
            parts.append("")
        medium = folder / "medium" / "metrics.csv"
        if medium.exists():
            m = pd.read_csv(medium)
            km = m[m["algorithm"] == "kmeans"].assign(method=lambda d: d["representation"])
            cols = [c for c in ["nmi_genre", "nmi_language", "noise_share"] if c in km and km[c].notna().any()]
            parts += ["Medium notebook, K-Means (k = number of genres) on each representation "
                      "(noise share: tracks without text in the lyrics-only rows):", "",
                      *_table(km, cols, {"lyrics used": km.drop_duplicates("method").set_index("method")["lyrics"]
                                         .fillna("")}), ""]
        language = folder / "medium" / "language_clusters.csv"
        if language.exists():
            lang = pd.read_csv(language)
            g = lang.groupby("representation", sort=False)["nmi_language"].agg(["mean", "std", "count"])
            parts += [f"Clustering for language (K-Means, k = number of languages = {int(lang['k'].iloc[0])}), "
                      "language NMI: " + "; ".join(f"{rep} {r['mean']:.3f} ± {r['std']:.3f}" for rep, r in g.iterrows())
                      + ".", ""]
    lyrics_text = real_root / "lyrics_text.csv"
    if lyrics_text.exists():
        table = pd.read_csv(lyrics_text)
        parts += ["#### Real lyrics, text only (`benchmarks/real_lyrics_text.py`)", "",
                  "K-Means with k = the number of classes on each offline text representation, NMI over 5 seeds, "
                  "beside the same NMI with the labels shuffled (the chance level for groups of these sizes); "
                  "figure: [`figures/lyrics_text.png`](figures/lyrics_text.png):", "",
                  "| task | representation | k | texts | NMI | shuffled labels |", "|---|---|---|---|---|---|"]
        parts += [f"| {r.task} | {r.representation} | {r.k} | {r.tracks} | {r.nmi_mean:.3f} ± {r.nmi_sd:.3f} | "
                  f"{r.nmi_shuffled_mean:.3f} |" for r in table.itertuples()]
        parts.append("")
    parts += _conv_size_markdown(real_root)
    parts += _fusion_markdown(real_root)
    parts += _poe_markdown(real_root)
    parts += _calibrated_markdown(real_root)
    whisper_vae = real_root / "whisper_vae_verdicts.csv"
    if whisper_vae.exists():
        table = pd.read_csv(whisper_vae)
        parts += ["#### A VAE on the pretrained Whisper embedding (`benchmarks/whisper_vae.py`)", "",
                  "The easy notebook's MLP VAE trained on the Whisper base encoder's clip-averaged output (the "
                  "medium notebook's reference row), against PCA of the same embedding with as many components and "
                  "against the embedding itself, each + K-Means (k = number of genres), genre NMI, paired per-seed "
                  "differences:", "",
                  "| set | VAE on Whisper | against | its NMI | difference [95% interval] | seeds | verdict |",
                  "|---|---|---|---|---|---|---|"]
        parts += [f"| {r.set} | {r.target_mean:.3f} | {r.other} | {r.other_mean:.3f} | {_paired_cells(r)}"
                  for r in table.itertuples()]
        parts.append("")
    curve = real_root / "learning_curve.csv"
    if curve.exists():
        table = pd.read_csv(curve)
        parts += ["#### Would more data let the VAE overtake PCA? (`benchmarks/learning_curve.py`)", "",
                  "The easy notebook's MLP VAE against PCA with as many components, each + K-Means (k = 10), on "
                  "seeded random subsets of the GTZAN feature table, genre NMI, paired per-seed differences; figure: "
                  "[`figures/learning_curve.png`](figures/learning_curve.png):", "",
                  "| tracks | VAE + K-Means | PCA + K-Means | difference [95% interval] | seeds | verdict |",
                  "|---|---|---|---|---|---|"]
        parts += [f"| {r.tracks} | {r.target_mean:.3f} | {r.other_mean:.3f} | {_paired_cells(r)}"
                  for r in table.itertuples()]
        parts.append("")
    directions = real_root / "vae_directions.csv"
    if directions.exists():
        table = pd.read_csv(directions)
        parts += ["#### Directions for a VAE pipeline on the GTZAN feature table (`benchmarks/real_vae_directions.py`)", "",
                  "Each label-free pipeline against PCA + K-Means, genre NMI, paired per-seed differences; the PCA "
                  "rows through the same steps show whether a gain belongs to the VAE or to the step:", "",
                  "| pipeline | NMI | PCA + K-Means | difference [95% interval] | seeds | verdict |", "|---|---|---|---|---|---|"]
        parts += [f"| {r.target} | {r.target_mean:.3f} | {r.other_mean:.3f} | {_paired_cells(r)}"
                  for r in table.itertuples()]
        parts.append("")
    segments = real_root / "segment_directions.csv"
    if segments.exists():
        table = pd.read_csv(segments)
        parts += ["#### The VAE trained on segments of the audio sets (`benchmarks/real_segment_vae.py`)", "",
                  f"The easy notebook's MLP VAE on the MFCC statistics of {int(table['segments'].iloc[0])} segments "
                  f"of {table['segment_seconds'].iloc[0]:g} s per track ({int(table['segments'].iloc[0])} times the "
                  "rows), latent means averaged per track, against the notebooks' track-level rows and PCA of the "
                  "same segments averaged (the matching baseline), genre NMI, paired per-seed differences:", "",
                  "| set | tracks | pipeline | NMI | against | its NMI | difference [95% interval] | seeds | verdict |",
                  "|---|---|---|---|---|---|---|---|---|"]
        parts += [f"| {r.set} | {r.tracks} | {r.target} | {r.target_mean:.3f} | {r.other} | {r.other_mean:.3f} | "
                  f"{_paired_cells(r)}" for r in table.itertuples()]
        parts.append("")
    segment_curve = real_root / "segment_learning_curve.csv"
    if segment_curve.exists():
        table = pd.read_csv(segment_curve)
        parts += ["#### The same learning curve for the VAE on segments (`benchmarks/segment_learning_curve.py`)", "",
                  "The segment-trained VAE above against PCA of the same segments (both averaged per track, + K-Means, "
                  "k = number of genres), on seeded random subsets of each audio set's tracks, genre NMI, paired "
                  "per-seed differences; figure: [`figures/segment_learning_curve.png`](figures/segment_learning_curve.png):",
                  "", "| set | tracks | VAE on segments | PCA on segments | difference [95% interval] | seeds | verdict |",
                  "|---|---|---|---|---|---|---|"]
        parts += [f"| {r.set} | {r.tracks} | {r.target_mean:.3f} | {r.other_mean:.3f} | {_paired_cells(r)}"
                  for r in table.itertuples()]
        parts.append("")
    cost = real_root / "cost_at_scale.csv"
    if cost.exists():
        table = pd.read_csv(cost)
        parts += [f"#### Cost at GTZAN scale (`benchmarks/cost_at_scale.py`, {int(table['tracks'].iloc[0])} tracks of 30 s, "
                  "2 CPU cores)", "",
                  f"Per-track costs measured on {int(table['measured_on'].iloc[0])} real songs; a training epoch at "
                  "this scale (a conv epoch trains on at most `EPOCH_SIZE` = 1,280 patches, then the held-out "
                  "pass); the estimate counts the epochs the default run's models trained:", "",
                  "| stage | s per track | minutes at this scale |", "|---|---|---|"]
        parts += [f"| {r.stage} | {r.seconds_per_track:.4f} | {r.seconds_at_scale / 60:.2f} |"
                  for r in table.itertuples()]
        parts.append("")
    timed = real_root / "time_at_scale.csv"
    if timed.exists():
        table = pd.read_csv(timed)
        total = table[table["notebook"] == "total"].iloc[0]
        parts += [f"Measured (`benchmarks/time_at_scale.py`): the three notebooks on {int(total['tracks'])} tracks "
                  f"(the {int(total['songs'])} real songs listed {int(total['copies'])} times), Whisper on every "
                  "track, from an empty cache: "
                  + ", ".join(f"{r.notebook} {r.minutes:.1f} min" for r in table.itertuples()) + ".", ""]
    gate = real_root / "whisper_gate.csv"
    if gate.exists():
        table = pd.read_csv(gate)
        parts += ["#### Whisper's gate on real audio (`benchmarks/whisper_gate.py`)", "",
                  "Share of tracks whose transcript passes as speech, by Whisper's own rules only and with the "
                  "project's gate (`lyrics.WHISPER_GATE`); GTZAN's classical and jazz clips hold no singing, so what "
                  "passes there is a false accept:", "",
                  "| data | group | tracks | passed, Whisper's rules | passed, with the gate |", "|---|---|---|---|---|"]
        parts += [f"| {r.data} | {r.group} | {r.tracks} | {r.passed_whisper_rules:.2f} | {r.passed_gate:.2f} |"
                  for r in table.itertuples()]
        parts.append("")
    return "\n".join(parts).strip() or "_No real-data results committed: run `make real` where the data is._"


def render(readme: str, block: str, start: str = START, end: str = END) -> str:
    """Return the README text with the block between the markers replaced."""
    if start not in readme or end not in readme:
        raise ValueError(f"the file needs the markers {start} and {end}")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n{end}{tail}"


def finding_markdown(results_root: Path = ROOT / "results") -> str:
    """Return the README's one-paragraph finding: the demo's paired verdict of the conv VAE against
    PCA (MFCC), how the VAE pipelines fared against PCA + K-Means on real music, and the time the
    committed main job took (results/provenance.json)."""
    hard, real = results_root / "hard" / "comparisons.csv", results_root / "real" / "verdicts.csv"
    if not hard.exists():
        return "_No results yet: run `make all`._"
    demo = pd.read_csv(hard).query("metric == 'nmi_genre' and other == 'PCA (MFCC)'").iloc[0]
    text = (f"On the demo, the conv VAE's genre NMI is {demo.target_mean:.3f} against {demo.other_mean:.3f} for PCA + "
            f"K-Means on MFCC statistics: **{demo.verdict}** (paired over {demo.n_seeds} seeds, "
            f"difference {demo.mean_difference:+.3f} [{demo.ci_low:+.3f}, {demo.ci_high:+.3f}]).")
    if real.exists():
        verdicts = pd.read_csv(real).query("metric == 'nmi_genre'")
        counts = verdicts["verdict"].value_counts()
        text += (f" On real music ({verdicts['set'].nunique()} sets, {len(verdicts)} VAE pipelines against PCA + "
                 "K-Means in the same runs) the VAEs are " + ", ".join(f"{verdict} {counts.get(verdict, 0)} times"
                                                                 for verdict in ("higher", "level", "lower")) + ".")
    record = results_root / "provenance.json"
    if record.exists():   # the committed run's: the main job writes the README before its own record
        import json

        run = json.loads(record.read_text(encoding="utf-8"))
        notebooks = {k.removeprefix("notebook "): v for k, v in run.get("seconds", {}).items()
                     if k.startswith("notebook ")}
        if notebooks:
            hw = run["hardware"]
            text += (f" The main job that wrote these results ran its three notebooks in {sum(notebooks.values()):.0f} s"
                     f" ({', '.join(f'{k} {v:.0f} s' for k, v in notebooks.items())}) on {hw.get('cores', '?')} CPU cores "
                     f"({hw['cpu']}), from {'an empty' if run.get('cold_cache') else 'a warm'} cache "
                     "(`results/provenance.json`).")
    return text


BLOCKS = [(RESULTS_README, START, END, results_markdown), (REAL_README, REAL_START, REAL_END, real_markdown),
          (README, FINDING_START, FINDING_END, finding_markdown)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the generated blocks are up to date")
    args = ap.parse_args(argv)
    for path, start, end, make_block in BLOCKS:
        text = path.read_text(encoding="utf-8")
        updated = render(text, make_block(), start, end)
        name = path.relative_to(ROOT)
        if args.check and updated != text:
            sys.exit(f"{name}: generated tables differ from results/: run `python scripts/update_readme.py`")
        if not args.check:
            path.write_text(updated, encoding="utf-8")
    print("results/README.md, results/real/README.md and the README's finding " +
          ("match results/." if args.check else "regenerated from results/."))


if __name__ == "__main__":
    main()
