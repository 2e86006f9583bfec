"""A multimodal VAE with a product-of-experts posterior (MVAE, Wu & Goodman 2018), against each modality alone.

    python benchmarks/poe_multimodal.py [--data ../shared/data] [--sets demo songs_en_de gtzan_clips] [--seeds 5]

The hard notebook's multimodal VAE reads the lyrics vector beside the audio in one encoder, so a
track without text gets the texts' mean. Here each modality has its own encoder, an expert q(z |
audio) and q(z | lyrics), and the posterior is their product with the prior's expert N(0, I):
precisions add, and a track without text simply has no lyrics expert. Training drops one expert
at random for a quarter of the rows each (never both), as the MVAE's sub-sampled ELBO terms do,
so that each expert alone also gives a usable posterior. Inputs are the benchmarks/fusion.py
ones (the medium notebook's defaults): standardized MFCC statistics and the lyrics embedding,
scaled to one unit of variance per dimension; the lyrics' reconstruction error is weighted by
audio dims / text dims, so each modality weighs the same in the loss (no label). Trained by the
project's held-out rule (utils.fit_model, utils.EASY_VAE_SETTINGS). Beside it, in the same run
and seeds: the same MLP as one VAE on the two blocks side by side, each with the audio's total
variance (the notebooks' way of joining, as an MLP), PCA of the MFCC statistics, and the lyrics
alone. K-Means with k = the number of genres (genre and language NMI) and with k = the number of
languages (language NMI), and paired per-seed differences against the better single modality.
Writes results/real/poe_multimodal.csv and results/real/poe_multimodal_verdicts.csv; the README
shows them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import available_sets, write_table  # noqa: E402
from conv_size import SETS  # noqa: E402
from fusion import against_better_single, set_inputs  # noqa: E402
import utils  # noqa: E402

DROP = 0.25   # share of training rows that lose the lyrics expert, and share that lose the audio one


def expert(input_dim: int, hidden_dim: int, latent_dim: int) -> nn.Sequential:
    """An encoder: (batch, input_dim) -> (batch, 2 * latent_dim), the mean and log-variance of its q(z | input)."""
    return nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.LayerNorm(hidden_dim), nn.GELU(),
                         nn.Linear(hidden_dim, hidden_dim // 2), nn.GELU(), nn.Linear(hidden_dim // 2, 2 * latent_dim))


def decoder(latent_dim: int, hidden_dim: int, output_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(latent_dim, hidden_dim // 2), nn.GELU(), nn.Linear(hidden_dim // 2, hidden_dim),
                         nn.GELU(), nn.Linear(hidden_dim, output_dim))


class PoEVAE(nn.Module):
    """Audio and lyrics experts joined by a product of Gaussians. ``text`` holds the lyrics vector
    and, in its last column, 1 where the track has text (0: no lyrics expert for that track)."""

    def __init__(self, input_dim: int, text_dim: int, latent_dim: int = 16, hidden_dim: int = 256):
        super().__init__()
        self.latent_dim, self.text_dim = latent_dim, text_dim
        self.audio_expert, self.text_expert = expert(input_dim, hidden_dim, latent_dim), expert(text_dim, hidden_dim,
                                                                                               latent_dim)
        self.audio_decoder, self.text_decoder = decoder(latent_dim, hidden_dim, input_dim), decoder(latent_dim,
                                                                                                   hidden_dim, text_dim)

    def experts_used(self, text):
        """Return per row (audio used, lyrics used) as 0/1 columns: in training, one may be dropped at random."""
        has_text = text[:, -1:]
        audio_on, text_on = torch.ones_like(has_text), has_text
        if self.training:
            u = torch.rand_like(has_text)
            text_on = text_on * (u >= DROP)
            audio_on = audio_on * ~((u < 2 * DROP) & (u >= DROP) & (has_text > 0))
        return audio_on.float(), text_on.float()

    def encode(self, x, text):
        """Return (mu, logvar) of the product of the prior's, the audio's and (where there is text) the lyrics' experts."""
        audio_on, text_on = self.experts_used(text)
        mu_a, logvar_a = self.audio_expert(x).clamp(-10, 10).chunk(2, dim=1)
        mu_t, logvar_t = self.text_expert(text[:, :-1]).clamp(-10, 10).chunk(2, dim=1)
        precision = 1 + audio_on * torch.exp(-logvar_a) + text_on * torch.exp(-logvar_t)
        mu = (audio_on * mu_a * torch.exp(-logvar_a) + text_on * mu_t * torch.exp(-logvar_t)) / precision
        return mu, -torch.log(precision)

    def decode(self, z):
        return self.audio_decoder(z)

    def decode_text(self, z):
        """Return the reconstructed lyrics vector, and a last column of 1 (the text flag is not modelled)."""
        return torch.cat([self.text_decoder(z), torch.ones(len(z), 1, device=z.device)], dim=1)

    def forward(self, x, text) -> utils.VAEOutput:
        mu, logvar = self.encode(x, text)
        z = utils.reparameterize(mu, logvar) if self.training else mu
        text_hat = self.decode_text(z)
        text_hat = torch.where(text[:, -1:] > 0, text_hat, text)   # no text: no lyrics error
        return utils.VAEOutput(self.decode(z), mu, logvar, text_hat)


def with_total_variance(blocks: dict[str, np.ndarray], total: float) -> np.ndarray:
    """Return the blocks side by side (utils.combine_blocks: centred, equal say), each with total variance ``total``."""
    return (utils.combine_blocks(blocks) * np.sqrt(total)).astype(np.float32)


def measure_set(name: str, data: Path, seeds: int) -> pd.DataFrame:
    """Return per seed and method the NMI scores at k = number of genres and of languages."""
    from sklearn.decomposition import PCA

    tracks, _, X_mfcc, lyrics_only, filled = set_inputs(name, data)
    truth = utils.known_labels(tracks)
    ks = {label: truth[label].nunique() for label in ("genre", "language") if label in truth}
    has_text = ~np.isnan(lyrics_only).any(axis=1)
    audio_dim, text_dim = X_mfcc.shape[1], filled.shape[1]
    # the lyrics at one unit of variance per dimension, like the standardized audio; weighted by
    # audio_dim / text_dim in the loss, so that each modality weighs the same
    text = np.hstack([with_total_variance({"lyrics": filled}, text_dim), has_text[:, None]]).astype(np.float32)
    settings = utils.EASY_VAE_SETTINGS
    runs = [dict(seed=s) for s in range(seeds)]
    poe = utils.fit_models(PoEVAE, X_mfcc, [dict(**r, text=text) for r in runs], name="PoE VAE", verbose=False,
                           text_dim=text_dim, text_weight=audio_dim / text_dim, **settings)
    joint_input = with_total_variance({"audio": X_mfcc, "lyrics": filled}, audio_dim)
    joined = utils.fit_models(utils.VAE, joint_input, runs, name="VAE on both blocks", verbose=False, **settings)
    rows = []
    for seed, (poe_model, _, poe_chosen), (joined_model, _, _) in zip(range(seeds), poe, joined):
        spaces = {"audio alone": PCA(settings["latent_dim"], random_state=seed).fit_transform(X_mfcc),
                  "lyrics alone": lyrics_only,
                  "VAE on both blocks": utils.encode_mean(joined_model, joint_input),
                  "PoE VAE": utils.encode_mean(poe_model, X_mfcc, text=text)}
        for k_for, k in ks.items():
            for method, Z in spaces.items():
                scores = utils.evaluate(Z, utils.cluster(Z, "kmeans", k, seed), truth)
                rows.append({"set": name, "k_for": k_for, "k": k, "seed": seed, "method": method,
                             "nmi_genre": scores.get("nmi_genre", np.nan),
                             "nmi_language": scores.get("nmi_language", np.nan),
                             "selected_epoch": poe_chosen["selected_epoch"] if method == "PoE VAE" else np.nan})
    return pd.DataFrame(rows)


def verdicts(scores: pd.DataFrame) -> pd.DataFrame:
    """Return, per set and label, both joint VAEs against the better single modality (paired per seed)."""
    return against_better_single(scores, ["PoE VAE", "VAE on both blocks"], ["set"])


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="*", default=["demo", "songs_en_de", "gtzan_clips"], choices=list(SETS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "poe_multimodal.csv")
    args = ap.parse_args(argv)
    tables = [measure_set(name, args.data, args.seeds) for name in available_sets(args.sets, SETS, args.data)]
    if not tables:
        print("No data found: nothing measured.")
        return pd.DataFrame(), pd.DataFrame()
    scores = pd.concat(tables, ignore_index=True)
    print(scores.groupby(["set", "k_for", "method"], sort=False)[["nmi_genre", "nmi_language"]].mean().round(3)
          .to_string())
    table = verdicts(scores)
    print(table[["set", "k_for", "metric", "target", "other", "target_mean", "other_mean", "mean_difference", "ci_low",
                 "ci_high", "verdict"]].round(3).to_string(index=False))
    write_table(scores, args.out)
    write_table(table, args.out.with_name("poe_multimodal_verdicts.csv"))
    return scores, table


if __name__ == "__main__":
    main()
