"""Shared helpers for the music-clustering notebooks, in pipeline order.

Sections: setup -> audio features -> models (written from the notebooks' ``#@save`` cells) ->
training -> clustering and metrics -> saving. Loading tracks lives in ``data/loading.py``, the
feature workers in ``data/features.py``, the cache in ``data/caching.py``, Whisper and text
embeddings in ``lyrics.py``, plots in ``figures.py``; the names the notebooks call are
imported here, so a notebook needs only ``import utils``. Nothing heavy
runs at import time; optional libraries are imported inside the functions that need them.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
from pathlib import Path
from typing import Callable, NamedTuple

# Idle OpenMP threads sleep instead of spinning, so torch on two threads does not slow down
# several-fold when the other core is busy (measured on the 2-core target machine). Set before
# torch is imported, so that its thread pool starts with it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from data import caching as _caching, features as _features, loading as _loading  # noqa: E402
from data.loading import (SR, describe_language_confound, known_labels, load_tracks,  # noqa: E402,F401
                          number_of_clusters, shared_genres)   # the notebooks call these through utils
from figures import (embed_2d, plot_algorithm_scores, plot_contingency, plot_embeddings,  # noqa: E402,F401
                     plot_grouped_scores, plot_history, plot_k_choice, plot_k_distance, plot_latent_information,
                     plot_scores, plot_size_study, plot_spectrograms, plot_sweep, plot_variant_history,
                     plot_whisper_quality, save_figure, show_figure)
from figures import metric_name as _metric_name, set_plot_style as _set_plot_style  # noqa: E402
from lyrics import (describe_lyrics_source, embed_text, evaluate_transcripts, get_lyrics,  # noqa: E402,F401
                    lyrics_blocks, lyrics_genre_signal, transcribe, whisper_audio_embeddings, whisper_sample)



# ============================================================================ setup
def _get_device(device: str = "cpu") -> torch.device:
    """Return the torch device for a notebook's ``DEVICE`` parameter: 'cpu', 'cuda', or 'auto'
    (CUDA when a GPU is available, else the CPU). The committed results come from the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"DEVICE={device!r} but torch sees no CUDA GPU: use 'auto' or 'cpu'")
    return torch.device(device)


def _describe_device(device: torch.device) -> str:
    """Return one sentence that says where models run and what that means for the numbers."""
    if device.type == "cuda":
        return (f"Models and Whisper run on {torch.cuda.get_device_name(device)}. GPU kernels sum in another "
                "order than the CPU's, so metrics may differ from the committed CPU results in the last digits "
                "(and clusters can then differ); the same GPU and seed repeat them.")
    return "Models and Whisper run on the CPU (the committed results come from this path; deterministic)."


def _print_versions() -> None:
    """Print the Python and package versions this run uses (recorded in executed notebooks)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    names = ["numpy", "pandas", "scikit-learn", "torch", "librosa", "umap-learn", "matplotlib", "seaborn",
             "openai-whisper", "sentence-transformers"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    print(f"Python {platform.python_version()} on {platform.machine()}; " + ", ".join(found))


_RUN_START = time.perf_counter()
_RUN_STARTED_AT = time.time()   # wall clock, to tell this run's figures from an earlier run's


def setup_notebook(results_dir: str | Path, device: str = "auto") -> tuple[Path, torch.device]:
    """Prepare a notebook run and return ``(results folder, torch device)``: create the folder,
    set the plot style, choose the device for ``DEVICE`` and print it with the package versions."""
    import warnings

    global _RUN_START, _RUN_STARTED_AT
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message="IProgress not found")   # text progress bars are fine
    warnings.filterwarnings("ignore", message="Tight layout not applied")   # wide legends: the layout stays readable
    results = Path(results_dir)
    (results / "figures").mkdir(parents=True, exist_ok=True)
    _set_plot_style()   # one visual language for every figure (colors per genre, language, method)
    chosen = _get_device(device)
    print(_describe_device(chosen))
    _print_versions()
    _RUN_START, _RUN_STARTED_AT = time.perf_counter(), time.time()
    return results, chosen


def feasible_sizes(sizes: list[int], X: np.ndarray, val_fraction: float) -> list[int]:
    """Return the latent sizes capped to what PCA of the training tracks can keep, saying so when capped."""
    largest = min(int(len(X) * (1 - val_fraction)), X.shape[1]) - 1
    if largest < 1:
        raise ValueError(f"{len(X)} tracks x {X.shape[1]} features are too few to train and hold out tracks: "
                         "use more tracks (at least 3) or a smaller VAL_FRACTION")
    if any(d > largest for d in sizes):
        print(f"Latent sizes above {largest} are too large for {X.shape[0]} tracks x {X.shape[1]} features; capped.")
    return sorted({min(d, largest) for d in sizes})


# ============================================================================ audio features
def extract_mfcc_stats(tracks: pd.DataFrame, n_mfcc: int = 40, sr: int = SR, clip_seconds: float = 30.0,
                       n_jobs: int = -1, cache_dir: Path | str | None = _caching.CACHE_DIR,
                       verbose: bool = True) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)``: MFCC-statistic vectors (n_tracks, 6*n_mfcc+50) and their column names."""
    params = dict(sr=sr, n_mfcc=n_mfcc, clip_seconds=clip_seconds)
    return _features.extract(tracks, "mfcc", params, n_jobs, cache_dir, verbose), _features.mfcc_feature_names(n_mfcc)


def extract_logmel_patches(tracks: pd.DataFrame, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8, hop_length: int = _features.HOP, sr: int = SR,
                           clip_seconds: float = 30.0,
                           n_jobs: int = -1, cache_dir: Path | str | None = _caching.CACHE_DIR,
                           verbose: bool = True) -> np.ndarray:
    """Return log-mel patches in dB, shape (n_tracks, n_patches, n_mels, patch_frames)."""
    params = dict(sr=sr, n_mels=n_mels, patch_frames=patch_frames, n_patches=n_patches,
                  clip_seconds=clip_seconds)
    if hop_length != _features.HOP:   # only then in the cache key, so existing caches stay valid
        params["hop_length"] = hop_length
    return _features.extract(tracks, "logmel", params, n_jobs, cache_dir, verbose)


def describe_short_clips(tracks: pd.DataFrame, n_patches: int, patch_frames: int, hop_length: int = _features.HOP,
                         sr: int = SR, clip_seconds: float = 30.0) -> str | None:
    """Return a note when some clips are shorter than the ``n_patches`` patches need side by side
    (their evenly spaced patches then overlap), else None."""
    patch_seconds = patch_frames * hop_length / sr
    needed = n_patches * patch_seconds
    seconds = np.minimum(_loading.audio_durations(tracks), clip_seconds)
    short = seconds < needed - 0.05
    if not short.any():
        return None
    return (f"NOTE: {int(short.sum())} of {len(tracks)} tracks last less than the {needed:.1f} s that {n_patches} "
            f"patches of {patch_seconds:.1f} s need side by side (shortest {np.nanmin(seconds):.1f} s, median "
            f"{np.nanmedian(seconds):.1f} s): their patches overlap, so each of those tracks is seen through fewer "
            "distinct seconds of audio. Lower N_PATCHES to avoid the overlap.")


def standardize_patches(patches: np.ndarray) -> np.ndarray:
    """Return log-mel patches (n_tracks, n_patches, n_mels, n_frames) as float32 model inputs
    (n_tracks * n_patches, 1, n_mels, n_frames), standardized per mel band (mean and deviation
    over all patches and frames), so loud low bands do not dominate a squared error."""
    mean, std = patches.mean(axis=(0, 1, 3), keepdims=True), patches.std(axis=(0, 1, 3), keepdims=True)
    return ((patches - mean) / std).reshape(-1, 1, *patches.shape[2:]).astype(np.float32)


def logmel_band_stats(patches_db: np.ndarray) -> np.ndarray:
    """Return per track the mean and standard deviation of every mel band (dB) over all its
    patches and frames: a direct spectral representation, (n_tracks, 2 * n_mels)."""
    return np.concatenate([patches_db.mean(axis=(1, 3)), patches_db.std(axis=(1, 3))], axis=1).astype(np.float32)


def pca_of_patches(patches: np.ndarray, n_tracks: int, n_components: int = 16, seed: int = 0) -> np.ndarray:
    """Return per track the mean over its patches of a PCA of the flattened model-input patches
    (the conv VAE's own input, linearly reduced to ``n_components``)."""
    from sklearn.decomposition import PCA

    flat = patches.reshape(len(patches), -1)
    Z = PCA(min(n_components, min(flat.shape) - 1), random_state=seed).fit_transform(flat)
    return Z.reshape(n_tracks, -1, Z.shape[1]).mean(axis=1).astype(np.float32)


def feature_table_matrix(tracks: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)`` from the ``feat:`` columns of a feature-table dataset."""
    cols = [c for c in tracks.columns if c.startswith("feat:")]
    if not cols:
        raise ValueError("these tracks have no 'feat:' columns; load them with dataset='features'")
    return tracks[cols].to_numpy(np.float32), [c[5:] for c in cols]


def load_inputs(dataset: str, data_dir, preset: str, n_mels: int, patch_frames: int, n_patches: int, hop_length: int,
                lyrics_source: str, whisper_model: str, text_model: str, device):
    """Return the medium notebook's inputs in one call, for the hard notebook: ``tracks``,
    ``skipped``, ``truth`` (the known labels), standardized log-mel ``patches``, ``X_mfcc`` and
    ``X_bands`` (standardized statistics), ``X_whisper`` (the encoder embedding), ``lyrics``,
    ``lyrics_source``, ``text_emb``, ``no_text`` and ``text_filled`` (see :func:`lyrics_blocks`)."""
    from types import SimpleNamespace

    from sklearn.preprocessing import StandardScaler

    tracks, skipped = load_tracks(dataset, data_dir, preset=preset)
    logmel_db = extract_logmel_patches(tracks, n_mels, patch_frames, n_patches, hop_length=hop_length)
    short_note = describe_short_clips(tracks, n_patches, patch_frames, hop_length)
    if short_note:
        print(short_note)
    lyrics = get_lyrics(tracks, lyrics_source, whisper_model, device=device)
    text_emb, no_text = embed_text(lyrics["text"], text_model, device=device)
    return SimpleNamespace(
        tracks=tracks, skipped=skipped, patches=standardize_patches(logmel_db), lyrics=lyrics,
        truth=known_labels(tracks),
        X_mfcc=StandardScaler().fit_transform(extract_mfcc_stats(tracks)[0]).astype(np.float32),
        X_bands=StandardScaler().fit_transform(logmel_band_stats(logmel_db)).astype(np.float32),
        X_whisper=StandardScaler().fit_transform(whisper_audio_embeddings(tracks, whisper_model, device=device)),
        lyrics_source=describe_lyrics_source(lyrics), text_emb=text_emb, no_text=no_text,
        text_filled=lyrics_blocks(text_emb, no_text)[1])


# ============================================================================ models
def add_to_class(cls):
    """Return a decorator that adds the function below it to ``cls`` as a method: d2l's way to
    build a class over several short notebook cells."""
    def register(method):
        setattr(cls, method.__name__, method)
        return method
    return register


# >>> written from the notebooks' #@save cells by scripts/export_notebook_code.py: edit them there
# notebooks/01_easy.ipynb
class VAEOutput(NamedTuple):
    """A forward pass: reconstruction x_hat, posterior mean mu and log-variance logvar of q(z | x),
    and text_hat, the reconstructed lyrics vector of the hard notebook's multimodal model (else None)."""
    x_hat: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    text_hat: torch.Tensor | None = None


# notebooks/01_easy.ipynb
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Return z = mu + sigma * eps, eps ~ N(0, I)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


# notebooks/01_easy.ipynb
class VAE(nn.Module):
    """Variational autoencoder on feature vectors (the easy notebook's model)."""

    def __init__(self, input_dim: int, latent_dim: int = 16, hidden_dim: int = 256, dropout: float = 0.1):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(                                     # (batch, input_dim)
            nn.Linear(input_dim, hidden_dim), nn.LayerNorm(hidden_dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim // 2), nn.GELU())            # -> (batch, hidden_dim / 2)
        self.to_mu = nn.Linear(hidden_dim // 2, latent_dim)               # -> (batch, latent_dim)
        self.to_logvar = nn.Linear(hidden_dim // 2, latent_dim)           # -> (batch, latent_dim)
        self.decoder = nn.Sequential(                                     # (batch, latent_dim)
            nn.Linear(latent_dim, hidden_dim // 2), nn.GELU(),
            nn.Linear(hidden_dim // 2, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, input_dim))

    def encode(self, x):
        """Return (mu, logvar) of q(z | x); logvar is clamped for numerical safety."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h).clamp(-10, 10)

    def decode(self, z):
        """Return x_hat, the mean of p(x | z)."""
        return self.decoder(z)

    def forward(self, x) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return VAEOutput(self.decode(z), mu, logvar)


# notebooks/01_easy.ipynb
def vae_loss(out: VAEOutput, x, beta: float = 1.0, text=None, text_weight: float = 1.0) -> dict:
    """Return the loss and its named terms: reconstruction, kl, and loss = reconstruction + beta * kl."""
    squared = ((out.x_hat - x) ** 2).flatten(1)                  # (batch, values): any input shape
    if out.text_hat is not None:                                 # multimodal: the lyrics vector's error too
        squared = torch.cat([squared, ((out.text_hat - text) ** 2) * text_weight], dim=1)
    reconstruction = 0.5 * squared.sum(dim=1).mean()
    kl = (-0.5 * (1 + out.logvar - out.mu ** 2 - out.logvar.exp()).sum(dim=1)).mean()
    return {"loss": reconstruction + beta * kl, "reconstruction": reconstruction, "kl": kl}


# notebooks/01_easy.ipynb
def train_epoch(model, batches, optimizer, kl_weight: float, text_weight: float = 1.0) -> np.ndarray:
    """Train one pass over ``batches`` of (x, inputs); return the mean loss, reconstruction and KL per row."""
    model.train()
    totals, n_rows = np.zeros(3), 0
    for x, inputs in batches:
        terms = vae_loss(model(x, **inputs), x, kl_weight, inputs.get("text"), text_weight)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        totals += np.array([terms["loss"].item(), terms["reconstruction"].item(), terms["kl"].item()]) * len(x)
        n_rows += len(x)
    return totals / n_rows


# notebooks/02_medium.ipynb
def down_block(c_in: int, c_out: int) -> nn.Sequential:
    """Stride-2 convolution: (batch, c_in, F, T) -> (batch, c_out, F/2, T/2)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    """Stride-2 transposed convolution: (batch, c_in, F, T) -> (batch, c_out, 2F, 2T)."""
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out),
                         nn.LeakyReLU(0.2))


# notebooks/02_medium.ipynb
class ConvVAE(nn.Module):
    """Convolutional VAE on standardized log-mel patches of shape (1, n_mels, n_frames)."""

    def __init__(self, n_mels: int = 64, n_frames: int = 128, latent_dim: int = 16, channels: int = 32,
                 text_dim: int = 0, n_conditions: int = 0, variational: bool = True):
        super().__init__()
        if n_mels % 16 or n_frames % 16:
            raise ValueError(f"n_mels and n_frames must be multiples of 16 (got {n_mels} x {n_frames})")
        c = channels
        self.latent_dim, self.variational = latent_dim, variational
        self.text_dim, self.n_conditions = text_dim, n_conditions
        self.patch_shape = (1, n_mels, n_frames)
        self.grid = (2 * c, n_mels // 16, n_frames // 16)             # (16, 4, 4): the map after four halvings
        flat = int(np.prod(self.grid))                                # 256
        text_hidden = 64 if text_dim else 0
        self.encoder = nn.Sequential(                                 # x: (B, 1, 64, 64)
            down_block(1, c // 2), down_block(c // 2, c),             # -> (B, 4, 32, 32) -> (B, 8, 16, 16)
            down_block(c, 2 * c), down_block(2 * c, 2 * c),           # -> (B, 16, 8, 8) -> (B, 16, 4, 4)
            nn.Flatten())                                             # -> (B, 256)
        if text_dim:   # multimodal (hard notebook): read the lyrics vector, and reconstruct it from z
            self.text_in = nn.Sequential(nn.Linear(text_dim, text_hidden), nn.LeakyReLU(0.2))
            self.text_out = nn.Sequential(nn.Linear(latent_dim + n_conditions, text_hidden), nn.LeakyReLU(0.2),
                                          nn.Linear(text_hidden, text_dim))
        joint = flat + text_hidden + n_conditions                     # audio code [+ text code] [+ one-hot label]
        self.to_mu, self.to_logvar = nn.Linear(joint, latent_dim), nn.Linear(joint, latent_dim)   # -> (B, 64)
        self.from_z = nn.Sequential(nn.Linear(latent_dim + n_conditions, flat), nn.LeakyReLU(0.2))  # -> (B, 256)
        self.decoder = nn.Sequential(                                 # (B, 16, 4, 4)
            up_block(2 * c, 2 * c), up_block(2 * c, c), up_block(c, c // 2),    # -> (B, 4, 32, 32)
            nn.ConvTranspose2d(c // 2, 1, 4, stride=2, padding=1))    # -> (B, 1, 64, 64)


# notebooks/02_medium.ipynb
@add_to_class(ConvVAE)
def encode(self, x, text=None, condition=None):
    """Return (mu, logvar) of q(z | x[, text][, condition]), each (batch, latent_dim)."""
    self.check_inputs(text, condition)
    h = [self.encoder(x)]                              # (B, 256)
    if self.text_dim:
        h.append(self.text_in(text))                   # (B, 64): the lyrics' code
    if self.n_conditions:
        h.append(condition)                            # (B, n_conditions): the CVAE's label
    h = torch.cat(h, dim=1)
    mu = self.to_mu(h)
    logvar = self.to_logvar(h).clamp(-10, 10) if self.variational else torch.zeros_like(mu)
    return mu, logvar


# notebooks/02_medium.ipynb
@add_to_class(ConvVAE)
def decode(self, z, condition=None):
    """Return the reconstructed patch, (batch, 1, n_mels, n_frames): the mean of p(x | z[, condition])."""
    h = self.from_z(self.with_condition(z, condition))            # (B, 256)
    return self.decoder(h.view(-1, *self.grid))                 # (B, 16, 4, 4) -> (B, 1, 64, 64)


@add_to_class(ConvVAE)
def forward(self, x, text=None, condition=None) -> VAEOutput:
    mu, logvar = self.encode(x, text, condition)
    z = reparameterize(mu, logvar) if self.training and self.variational else mu
    x_hat = self.decode(z, condition)
    return VAEOutput(x_hat, mu, logvar, self.decode_text(z, condition) if self.text_dim else None)


# notebooks/02_medium.ipynb
@add_to_class(ConvVAE)
def with_condition(self, z, condition):
    """Return z, with a CVAE's one-hot label appended."""
    return torch.cat([z, condition], dim=1) if self.n_conditions else z


@add_to_class(ConvVAE)
def decode_text(self, z, condition=None):
    """Return a multimodal model's reconstructed lyrics vector, (batch, text_dim)."""
    return self.text_out(self.with_condition(z, condition))


@add_to_class(ConvVAE)
def check_inputs(self, text, condition):
    """Raise a clear error when an input the model was built for is missing, or one it lacks is given."""
    for name, value, size in (("text", text, self.text_dim), ("condition", condition, self.n_conditions)):
        if bool(size) != (value is not None):
            raise ValueError(f"this ConvVAE has {name} size {size}: "
                             + (f"pass {name}= (one row per patch)" if size else f"pass {name}=None"))
# <<< end of the notebooks' #@save cells


# ============================================================================ training
def _batch_reader(X: np.ndarray, text: np.ndarray | None, condition: np.ndarray | None, device) -> Callable:
    """Return a function rows -> ``(x, inputs)`` on ``device``: the rows of X, and the keyword
    inputs (``text=``, ``condition=``) of the models that take them (an empty dict otherwise)."""
    x_all = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    extra = {name: torch.as_tensor(np.asarray(a), dtype=torch.float32)
             for name, a in (("text", text), ("condition", condition)) if a is not None}

    def read(rows):
        return x_all[rows].to(device), {name: a[rows].to(device) for name, a in extra.items()}

    return read


def _model_device(model) -> torch.device:
    return next(model.parameters()).device


def _heldout_elbo(model, X: np.ndarray, text: np.ndarray | None = None, condition: np.ndarray | None = None,
                 text_weight: float = 1.0, seed: int = 0, batch_size: int = 256) -> dict:
    """Return the held-out negative ELBO of rows of X (``loss``) and its ``reconstruction`` and
    ``kl`` terms, means per row, with z *sampled* from q(z | x) by a seeded generator (repeatable),
    at beta = 1. For an autoencoder (``variational=False``) it is the reconstruction alone."""
    model.eval()
    device = _model_device(model)
    read = _batch_reader(X, text, condition, device)
    generator = torch.Generator().manual_seed(seed)
    variational = getattr(model, "variational", True)
    totals = np.zeros(3)
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            x, inputs = read(slice(i, i + batch_size))
            mu, logvar = model.encode(x, **inputs)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator).to(device) if variational else mu
            given = {"condition": inputs["condition"]} if "condition" in inputs else {}
            x_hat = model.decode(z, **given)
            text_hat = model.decode_text(z, **given) if "text" in inputs else None
            terms = vae_loss(VAEOutput(x_hat, mu, logvar, text_hat), x, 1.0, inputs.get("text"), text_weight)
            kl = terms["kl"].item() if variational else 0.0
            totals += np.array([terms["reconstruction"].item() + kl, terms["reconstruction"].item(), kl]) * len(x)
    totals /= len(X)
    return {"loss": totals[0], "reconstruction": totals[1], "kl": totals[2]}


def _epoch_rows(n: int, epoch_size: int | None, stream: torch.Tensor, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (the rows of one epoch, the rest of the stream): a permutation of all n rows, or, with
    ``epoch_size`` < n, the next ``epoch_size`` rows of a seeded stream of permutations."""
    if epoch_size is None or epoch_size >= n:
        return torch.randperm(n, generator=generator), stream
    while len(stream) < epoch_size:
        stream = torch.cat([stream, torch.randperm(n, generator=generator)])
    return stream[:epoch_size], stream[epoch_size:]


def _train_vae(model, X: np.ndarray, text: np.ndarray | None = None, condition: np.ndarray | None = None, *,
              heldout: dict | None = None, epochs: int = 200, lr: float = 1e-3, batch_size: int = 32,
              beta: float = 1.0, warmup_epochs: int = 50, weight_decay: float = 1e-4, text_weight: float = 1.0,
              patience: int | None = None, epoch_size: int | None = None, seed: int = 0, n_threads: int = 1,
              device: str | torch.device = "cpu", verbose: bool = True) -> pd.DataFrame:
    """Train ``model`` with Adam, one :func:`train_epoch` per epoch, the KL weight rising linearly
    from 0 to ``beta`` over ``warmup_epochs``; return the history (epoch, loss, reconstruction,
    kl, kl_weight, and with ``heldout`` rows ``dict(X=..., text=..., condition=...)`` the
    heldout_loss, heldout_reconstruction and heldout_kl of :func:`_heldout_elbo`).

    With ``patience``, training stops when the held-out loss has not improved for that many
    epochs after the warm-up (``epochs`` is the cap) and the best epoch's weights are restored
    (column ``selected``): the stopping point is chosen without labels. With ``epoch_size``
    below len(X) an epoch trains on that many rows of a seeded stream of permutations, so an
    epoch costs the same at any data size.
    """
    for name, values in (("X", X), ("text", text), ("condition", condition)):
        if values is not None and not np.isfinite(values).all():
            raise ValueError(f"the model's input {name} holds {int((~np.isfinite(values)).sum())} NaN or infinite "
                             "values: check the features (a damaged file or a bad feature-table cell)")
    device = torch.device(device)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(n_threads)   # small models train several times faster on one thread
    torch.manual_seed(seed)   # ensures reproducibility of batch order and sampling noise
    model.to(device)
    if X.ndim == 4:   # patches: the channels-last layout trains the conv net about 10% faster on the CPU
        model.to(memory_format=torch.channels_last)
    read = _batch_reader(X, text, condition, device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, best, best_state, stream = [], np.inf, None, torch.empty(0, dtype=torch.long)
    for epoch in _caching.progress(range(1, epochs + 1), desc="VAE epochs", disable=not verbose, leave=False):
        kl_weight = beta * min(1.0, epoch / max(1, warmup_epochs))
        rows, stream = _epoch_rows(len(X), epoch_size, stream, generator)
        batches = (read(idx) for idx in rows.split(batch_size))
        loss, reconstruction, kl = train_epoch(model, batches, optimizer, kl_weight, text_weight)
        history.append(dict(epoch=epoch, loss=loss, reconstruction=reconstruction, kl=kl, kl_weight=kl_weight))
        if heldout is not None:
            val = _heldout_elbo(model, heldout["X"], heldout.get("text"), heldout.get("condition"), text_weight, seed)
            history[-1].update({f"heldout_{term}": value for term, value in val.items()})
            if patience is not None and epoch >= warmup_epochs:
                if val["loss"] < best:
                    best, best_epoch = val["loss"], epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                elif epoch - best_epoch >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    torch.set_num_threads(previous_threads)
    history = pd.DataFrame(history)
    if best_state is not None:
        history["selected"] = history["epoch"] == best_epoch
    return history


def _split_tracks(n_tracks: int, val_fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """Return a boolean mask of the held-out tracks (a seeded random ``val_fraction`` of them)."""
    n_val = max(1, int(round(val_fraction * n_tracks))) if n_tracks > 1 else 0
    mask = np.zeros(n_tracks, bool)
    mask[np.random.default_rng([seed, 11]).permutation(n_tracks)[:n_val]] = True
    return mask


def _selection_row(name: str, seed: int, history: pd.DataFrame, held_tracks: np.ndarray) -> dict:
    """Return one row of model_selection.csv: epochs run, the epoch the held-out loss chose and its terms."""
    row = {"model": name, "seed": seed, "epochs_run": int(history["epoch"].max())}
    if "selected" in history:
        chosen = history.loc[history["selected"]].iloc[0]
        row.update(selected_epoch=int(chosen["epoch"]), heldout_loss=float(chosen["heldout_loss"]),
                   heldout_reconstruction=float(chosen["heldout_reconstruction"]),
                   heldout_kl=float(chosen["heldout_kl"]), stopped_early=bool(history["epoch"].max() > chosen["epoch"]))
    return {**row, "train_tracks": int((~held_tracks).sum()), "heldout_tracks": int(held_tracks.sum())}


# The easy notebook's MLP VAE (its size table, by held-out ELBO, is results/easy/model_selection.csv);
# the medium and hard notebooks train it with these settings as a baseline (cached, so shared).
# epochs is a cap: training stops by the held-out rule of fit_model. tests/test_notebooks.py
# checks that 01_easy.ipynb's parameters say the same.
EASY_VAE_SETTINGS = dict(latent_dim=16, hidden_dim=512, epochs=400, warmup_epochs=100, beta=1.0, lr=1e-3,
                         batch_size=32, val_fraction=0.2, patience=30)
def _split_settings(model_class, settings: dict) -> tuple[dict, dict]:
    """Split keyword settings into the model's constructor arguments and the training ones."""
    import inspect

    names = set(inspect.signature(model_class).parameters)
    return ({k: v for k, v in settings.items() if k in names}, {k: v for k, v in settings.items() if k not in names})


def fit_model(model_class, X: np.ndarray, seed: int = 0, *, n_tracks: int | None = None,
              text: np.ndarray | None = None, condition: np.ndarray | None = None, name: str | None = None,
              val_fraction: float = 0.2, patience: int = 8, device: str | torch.device = "cpu",
              verbose: bool = True, cache_dir: Path | str | None = _caching.CACHE_DIR, **settings):
    """Build ``model_class`` with a seed, train it by the project's one selection rule and return
    ``(model, history, selection)``.

    The rule: a seeded ``val_fraction`` of the tracks is held out (all rows of a track on one
    side; X holds ``n_tracks`` consecutive groups of equally many rows, None: one row per
    track), the model trains on the others until the held-out negative ELBO has not improved
    for ``patience`` epochs, and the best epoch's weights are kept. No label is used.
    ``settings`` are the model's constructor arguments (e.g. latent_dim) and :func:`_train_vae`'s
    (e.g. epochs, beta). The weights are cached under a hash of the inputs and settings, so
    another notebook asking for the same model loads it; one line says which happened.
    """
    model_kwargs, train_kwargs = _split_settings(model_class, settings)
    device = torch.device(device)
    n_tracks = n_tracks or len(X)
    held_tracks = _split_tracks(n_tracks, val_fraction, seed)
    held = np.repeat(held_tracks, len(X) // n_tracks)
    part = {"X": X, "text": text, "condition": condition}
    train = {k: a[~held] for k, a in part.items() if a is not None}
    heldout = {k: a[held] for k, a in part.items() if a is not None}
    torch.manual_seed(seed)   # ensures reproducibility of the initial weights
    model = model_class(X.shape[1], **model_kwargs) if X.ndim == 2 else model_class(**model_kwargs)
    start, trained_now = time.perf_counter(), []

    def compute():
        trained_now.append(True)
        history = _train_vae(model, train["X"], train.get("text"), train.get("condition"), heldout=heldout,
                            patience=patience, seed=seed, device=device, verbose=verbose, **train_kwargs)
        state = {f"state/{k}": v.detach().cpu().numpy() for k, v in model.state_dict().items()}
        return {**state, **{f"history/{c}": history[c].to_numpy() for c in history.columns}}

    arrays = [a for a in (X, text, condition) if a is not None]
    fingerprint = "arrays-" + hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()[:16]
    params = dict(model=model_class.__name__, settings=model_kwargs, seed=seed, shape=list(X.shape),
                  n_tracks=n_tracks, val_fraction=val_fraction, patience=patience, train=train_kwargs)
    if device.type != "cpu":   # GPU kernels round differently: never mix their models with CPU ones
        params["device"] = device.type
    trained = _caching.cached("model", params, fingerprint, compute, cache_dir, verbose=False,
                             check=lambda saved: _weights_problem(model, saved))
    model.load_state_dict({k[6:]: torch.as_tensor(v) for k, v in trained.items() if k.startswith("state/")})
    model.to(device).eval()
    history = pd.DataFrame({k[8:]: v for k, v in trained.items() if k.startswith("history/")})
    label = name or model_class.__name__
    _report_fit(f"{label} seed {seed}", model, history, time.perf_counter() - start if trained_now else None, device)
    return model, history, _selection_row(label, seed, history, held_tracks)


def fit_models(model_class, X: np.ndarray, runs: list[dict], **shared) -> list[tuple]:
    """Return :func:`fit_model`'s ``(model, history, selection)`` for each run, in order: each
    run is a dict of its own settings (``seed``, and e.g. ``name``, ``beta``, ``text``), ``shared``
    holds the rest.

    On the CPU the models train side by side, one per core (each on one thread: a small model
    gains little from a second one, two models on two cores train about 1.7 times as fast as
    one after the other), into the cache, from which they are then loaded here. Every run is
    seeded and single-threaded, so the results do not depend on the number of cores."""
    device = torch.device(shared.get("device", "cpu"))
    cache_dir = shared.get("cache_dir", _caching.CACHE_DIR)
    workers = min(len(runs), os.cpu_count() or 1) if device.type == "cpu" and cache_dir is not None else 1
    if workers < 2:
        return [fit_model(model_class, X, **run, **shared) for run in runs]
    from joblib import Parallel, delayed

    jobs = (delayed(_fit_quietly)(model_class, X, run, shared) for run in runs)
    lines = list(_caching.progress(Parallel(n_jobs=workers, return_as="generator")(jobs), total=len(runs),
                                   desc=f"training {len(runs)} models, {workers} at a time"))
    fitted = []
    for run, line in zip(runs, lines):
        with contextlib.redirect_stdout(io.StringIO()):   # the worker's line says how it was trained
            fitted.append(fit_model(model_class, X, **run, **{**shared, "verbose": False}))
        print(line, end="")
    return fitted


def _fit_quietly(model_class, X: np.ndarray, run: dict, shared: dict) -> str:
    """Train (or load) one model of :func:`fit_models` in a worker; return the line it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fit_model(model_class, X, **run, **{**shared, "verbose": False})
    return out.getvalue()


def _weights_problem(model, saved: dict) -> str | None:
    """Return what makes cached weights unfit for ``model`` (other names or shapes, no history), or None."""
    state = {f"state/{k}": tuple(v.shape) for k, v in model.state_dict().items()}
    if {k for k in saved if k.startswith("state/")} != set(state) or any(saved[k].shape != s for k, s in state.items()):
        return "its weights do not fit this model"
    return None if any(k.startswith("history/") for k in saved) else "it holds no training history"


def _report_fit(label: str, model, history: pd.DataFrame, seconds: float | None, device: torch.device) -> None:
    """Print one line: trained (in how long) or loaded from the cache, and the chosen epoch's losses."""
    chosen = history.loc[history["selected"]].iloc[0] if "selected" in history else history.iloc[-1]
    kl = f", KL {chosen.kl:.1f}" if getattr(model, "variational", True) else ""
    if "selected" in history:
        kl += f"; epoch {int(chosen.epoch)} chosen by held-out loss {chosen.heldout_loss:.1f}"
    how = (f"loaded from cache; it was trained for {len(history)} epochs" if seconds is None
           else f"trained in {seconds:.1f} s ({len(history)} epochs on {device.type})")
    print(f"{label}: {how}: reconstruction {chosen.reconstruction:.1f}{kl}")


def repeat_per_patch(values: np.ndarray, n_patches: int) -> np.ndarray:
    """Return per-track rows (a lyrics vector, a one-hot label) repeated for each of the track's
    ``n_patches`` consecutive patches, as float32 model inputs."""
    return np.repeat(np.asarray(values, dtype=np.float32), n_patches, axis=0)


def encode_mean(model, X: np.ndarray, text: np.ndarray | None = None, condition: np.ndarray | None = None,
                n_tracks: int | None = None, batch_size: int = 256) -> np.ndarray:
    """Return the latent means mu(x) of rows of X (the representation that gets clustered); with
    ``n_tracks``, one vector per track: the mean over its consecutive rows (patches)."""
    model.eval()
    read = _batch_reader(X, text, condition, _model_device(model))
    parts = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            x, inputs = read(slice(i, i + batch_size))
            parts.append(model.encode(x, **inputs)[0].cpu())
    Z = torch.cat(parts).numpy()
    return Z if n_tracks is None else Z.reshape(n_tracks, -1, Z.shape[1]).mean(axis=1)


def reconstruct(model, X: np.ndarray, text: np.ndarray | None = None, condition: np.ndarray | None = None) -> np.ndarray:
    """Return the model's reconstructions of rows of X (the audio part) from their latent means (no sampling)."""
    model.eval()
    x, inputs = _batch_reader(X, text, condition, _model_device(model))(slice(None))
    with torch.no_grad():
        mu, _ = model.encode(x, **inputs)
        return model.decode(mu, **({"condition": inputs["condition"]} if "condition" in inputs else {})).cpu().numpy()


def reconstruction_error(model, X: np.ndarray, text: np.ndarray | None = None, condition: np.ndarray | None = None,
                         batch_size: int = 256) -> float:
    """Return the mean squared error per value of the reconstructions of X (the audio part,
    so models with and without a text input compare on the same thing) from the latent means."""
    errors = []
    for i in range(0, len(X), batch_size):
        rows = slice(i, i + batch_size)
        rest = [None if a is None else a[rows] for a in (text, condition)]
        diff = reconstruct(model, X[rows], *rest).reshape(len(X[rows]), -1) - X[rows].reshape(len(X[rows]), -1)
        errors.append((diff ** 2).mean(axis=1))
    return float(np.concatenate(errors).mean())


def one_hot(values) -> tuple[np.ndarray, list[str]]:
    """Return ``(matrix, categories)``: a one-hot float32 matrix of a label column (missing = 'unknown')."""
    values = pd.Series(np.asarray(values, dtype=object)).fillna("unknown").astype(str)
    categories = sorted(values.unique())
    return (values.to_numpy()[:, None] == np.array(categories)[None, :]).astype(np.float32), categories


def traverse_latent(model, z: np.ndarray, unit: int, values, condition: np.ndarray | None = None) -> np.ndarray:
    """Return decoded log-mel patches for ``z`` with latent ``unit`` set to each of ``values`` in turn
    (a latent traversal; other units stay fixed), shape (len(values), n_mels, n_frames)."""
    Z = np.repeat(np.asarray(z, np.float32)[None, :], len(values), axis=0)
    Z[:, unit] = values
    device = _model_device(model)
    given = {} if condition is None else {
        "condition": torch.as_tensor(np.repeat(condition[None, :], len(values), 0)).to(device)}
    model.eval()
    with torch.no_grad():
        out = model.decode(torch.as_tensor(Z).to(device), **given).cpu().numpy()
    return out.reshape(len(values), *model.patch_shape[1:])


# ============================================================================ clustering and metrics
def cluster(Z: np.ndarray, method: str = "kmeans", n_clusters: int = 10, seed: int = 0, **kwargs) -> np.ndarray:
    """Return cluster labels of rows of Z: 'kmeans', 'agglomerative' (Ward), 'gmm' (Gaussian
    mixture, diagonal covariances) or 'dbscan' (-1 = noise). Rows holding NaN (no vector for
    that track) get -1 and the others are clustered without them."""
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

    rows = np.isfinite(Z).all(axis=1)
    if not rows.all():   # tracks without a vector (lyrics of a track without text): in no cluster
        labels = np.full(len(Z), -1)
        if rows.sum() > max(n_clusters if method != "dbscan" else 1, 1):
            labels[rows] = cluster(Z[rows], method, n_clusters, seed, **kwargs)
        return labels
    if method == "kmeans":
        return KMeans(n_clusters, n_init=10, random_state=seed, **kwargs).fit_predict(Z)
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(n_clusters, covariance_type=kwargs.pop("covariance_type", "diag"), n_init=3,
                               random_state=seed, **kwargs).fit_predict(Z)
    if method == "agglomerative":
        return AgglomerativeClustering(n_clusters, linkage=kwargs.pop("linkage", "ward"), **kwargs).fit_predict(Z)
    if method == "dbscan":   # eps NaN: choose_dbscan_eps found too few vectors, so every track is noise
        return DBSCAN(**kwargs).fit_predict(Z) if np.isfinite(kwargs["eps"]) else np.full(len(Z), -1)
    raise ValueError(f"unknown clustering method {method!r}")


def cluster_and_score(spaces: dict, n_clusters: int, truth: dict, track_ids, feature_space: np.ndarray | None = None,
                      algorithms: tuple[str, ...] = ("kmeans",), dbscan_eps: dict | None = None,
                      min_samples: int = 5, key: str = "method") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster every space ``{(name, seed): Z}`` with each algorithm and score it; return
    ``(scores, assignments)``, a row per clustering and a row per track and clustering.

    K-Means, Agglomerative and the GMM use ``n_clusters`` and the seed; DBSCAN uses
    ``dbscan_eps[(name, seed)]`` (see :func:`choose_dbscan_eps`). Scores are those of
    :func:`evaluate`, plus ``silhouette_features``, the silhouette of the same clusters in one
    common ``feature_space``. With one algorithm the rows are named by ``key`` only, with several
    by ``key`` and ``algorithm``."""
    rows, assigned = [], []
    for (name, seed), Z in spaces.items():
        for algorithm in algorithms:
            if algorithm == "dbscan":
                labels = cluster(Z, "dbscan", eps=dbscan_eps[(name, seed)], min_samples=min_samples)
            else:
                labels = cluster(Z, algorithm, n_clusters, seed)
            row = evaluate(Z, labels, truth)
            if feature_space is not None:
                row["silhouette_features"] = evaluate(feature_space, labels)["silhouette"]
            where = {key: name} if len(algorithms) == 1 else {key: name, "algorithm": algorithm}
            rows.append({**where, "seed": seed, **row})
            assigned.append(pd.DataFrame({"track_id": track_ids, **where, "seed": seed, "cluster": labels}))
    return pd.DataFrame(rows), pd.concat(assigned, ignore_index=True)


def cluster_labels(assignments: pd.DataFrame, name: str, seed: int, key: str = "method") -> np.ndarray:
    """Return the cluster label of every track for one clustering in an assignments table."""
    return assignments[(assignments[key] == name) & (assignments["seed"] == seed)]["cluster"].to_numpy()


def combine_blocks(blocks: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> np.ndarray:
    """Return the blocks (e.g. audio latent, lyrics embedding) side by side, each given equal say.

    Each block is centred and divided by the square root of its total variance (the sum over
    its columns), so every block has total variance 1 whatever its width or units, while the
    proportions inside a block are kept (a nearly unused latent unit stays small instead of
    being blown up to unit variance). ``weights`` (default 1) scale a block's share of
    squared distances by weight**2.
    """
    parts = []
    for name, block in blocks.items():
        block = np.asarray(block, dtype=np.float64)
        centred = block - block.mean(axis=0)
        total = np.sqrt(centred.var(axis=0).sum())
        parts.append(centred / (total if total > 0 else 1.0) * (weights or {}).get(name, 1.0))
    return np.hstack(parts).astype(np.float32)


def choose_dbscan_eps(Z: np.ndarray, min_samples: int = 5, quantiles=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                      max_noise: float = 0.3) -> tuple[float, np.ndarray, pd.DataFrame]:
    """Return ``(eps, k_distances, candidates)``: DBSCAN's eps chosen without labels.

    Candidates are quantiles of the distance from each point to its ``min_samples``-th
    neighbour (zero distances, duplicated points, left out). Each is run; a candidate is
    admissible when it gives at least two clusters and at most ``max_noise`` of the points as
    noise, and the admissible one with the highest silhouette of its non-noise points wins.
    When none is admissible, the candidate with the most clusters (then the least noise) is
    taken, and the ``candidates`` table (eps, n_clusters, noise_share, silhouette, admissible,
    chosen) shows why.
    """
    from sklearn.cluster import DBSCAN
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    Z = Z[np.isfinite(Z).all(axis=1)]    # tracks without a vector are in no cluster (see cluster)
    if len(Z) <= min_samples:             # e.g. lyrics when every track is instrumental: DBSCAN calls all noise
        return np.nan, np.zeros(len(Z)), pd.DataFrame([dict(eps=np.nan, n_clusters=0, noise_share=1.0,
                                                            silhouette=np.nan, admissible=False, chosen=True)])
    dist, _ = NearestNeighbors(n_neighbors=min(min_samples + 1, len(Z))).fit(Z).kneighbors(Z)
    curve = np.sort(dist[:, -1])          # column 0 is the point itself
    positive = curve[curve > 1e-12]
    values = np.unique(np.quantile(positive, quantiles)) if len(positive) else np.array([1e-6])
    rows = []
    for eps in values:
        labels = DBSCAN(eps=float(eps), min_samples=min_samples).fit_predict(Z)
        kept = labels != -1
        n = len(set(labels[kept]))
        sil = float(silhouette_score(Z[kept], labels[kept])) if 2 <= n < kept.sum() else np.nan
        rows.append(dict(eps=float(eps), n_clusters=n, noise_share=float(1 - kept.mean()), silhouette=sil))
    table = pd.DataFrame(rows)
    table["admissible"] = (table["n_clusters"] >= 2) & (table["noise_share"] <= max_noise) & table["silhouette"].notna()
    if table["admissible"].any():
        best = table.loc[table["admissible"], "silhouette"].idxmax()
    else:
        best = table.sort_values(["n_clusters", "noise_share"], ascending=[False, True]).index[0]
    table["chosen"] = table.index == best
    return float(table.loc[best, "eps"]), curve, table


def choose_k(Z: np.ndarray, ks=range(2, 16), seed: int = 0) -> pd.DataFrame:
    """Return the silhouette of K-Means for each k (no labels used); the best k has the highest."""
    from sklearn.metrics import silhouette_score

    rows = [{"k": k, "silhouette": float(silhouette_score(Z, cluster(Z, "kmeans", k, seed)))}
            for k in ks if 2 <= k < len(Z)]
    return pd.DataFrame(rows)


def _cluster_purity(y_true, y_pred) -> float:
    """Return purity: the share of tracks whose cluster's majority label is their own label."""
    from sklearn.metrics.cluster import contingency_matrix

    m = contingency_matrix(y_true, y_pred)
    return float(m.max(axis=0).sum() / m.sum())


def _matched_accuracy(y_true, y_pred) -> float:
    """Return the accuracy after the best one-to-one matching of clusters to labels (Hungarian
    method on the contingency table); clusters left unmatched count as wrong."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix

    m = contingency_matrix(y_true, y_pred)
    rows, cols = linear_sum_assignment(-m)
    return float(m[rows, cols].sum() / m.sum())


def evaluate(Z: np.ndarray, labels: np.ndarray, truth: dict[str, pd.Series | np.ndarray] | None = None) -> dict:
    """Return internal scores of a clustering of Z (silhouette, Calinski-Harabasz, Davies-Bouldin)
    and, per entry of ``truth`` (e.g. genre, language; used for evaluation only), NMI, ARI,
    purity and Hungarian-matched accuracy (``acc_<name>``).

    Scores that are undefined for the result (fewer than two clusters) are NaN, never 0.
    DBSCAN noise points (-1) are left out of the internal scores and counted in ``noise_share``.
    """
    from sklearn import metrics

    labels = np.asarray(labels)
    kept = labels != -1
    n_clusters = len(set(labels[kept]))
    out = {"n_clusters": n_clusters, "noise_share": float(1 - kept.mean())}
    ok = 2 <= n_clusters < kept.sum()
    out["silhouette"] = float(metrics.silhouette_score(Z[kept], labels[kept])) if ok else np.nan
    out["calinski_harabasz"] = float(metrics.calinski_harabasz_score(Z[kept], labels[kept])) if ok else np.nan
    out["davies_bouldin"] = float(metrics.davies_bouldin_score(Z[kept], labels[kept])) if ok else np.nan
    for name, y in (truth or {}).items():
        y = pd.Series(np.asarray(y, dtype=object))
        known = y.notna().to_numpy()
        if known.sum() < 2 or y[known].nunique() < 2:
            continue
        yk, lk = y[known].astype(str).to_numpy(), labels[known]
        out[f"nmi_{name}"] = float(metrics.normalized_mutual_info_score(yk, lk))
        out[f"ari_{name}"] = float(metrics.adjusted_rand_score(yk, lk))
        out[f"purity_{name}"] = _cluster_purity(yk, lk)
        out[f"acc_{name}"] = _matched_accuracy(yk, lk)
    return out


def latent_information(Z: np.ndarray, labels: dict[str, pd.Series | np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Return, per latent dimension (rows) and label (columns), the mutual information between
    the unit and the label divided by the label's entropy (0: says nothing; 1: determines it).

    Estimated with scikit-learn's nearest-neighbour estimator (``mutual_info_classif``) over
    the tracks whose class has at least two tracks; a label with fewer than two such classes
    is left out. Used only to describe a trained model, never to train one.
    """
    from scipy.stats import entropy
    from sklearn.feature_selection import mutual_info_classif

    out = {}
    for name, y in labels.items():
        y = pd.Series(np.asarray(y, dtype=object))
        counts = y.map(y.value_counts())
        known = (y.notna() & (counts >= 2)).to_numpy()   # the estimator needs two tracks of a class at least
        if y[known].nunique() < 2:
            continue
        yk = y[known].astype(str).to_numpy()
        h = entropy(pd.Series(yk).value_counts(normalize=True))
        out[name] = mutual_info_classif(Z[known], yk, random_state=seed) / h
    return pd.DataFrame(out, index=pd.Index(range(Z.shape[1]), name="latent unit"))


def active_units(Z_tracks: np.ndarray, threshold: float = 0.01) -> int:
    """Return the number of active latent units (Burda et al., 2016): units whose posterior mean
    moves with the input, Var over tracks of E[z_u | x] > ``threshold``, on the scale the N(0, 1)
    prior sets. A collapsed unit sits at the prior whatever the input."""
    return int((np.asarray(Z_tracks).var(axis=0) > threshold).sum())


def mutual_information_gap(info: pd.DataFrame) -> pd.Series:
    """Return per label the gap between the two most informative latent units (normalized
    mutual information, from :func:`latent_information`): high when one unit alone carries the
    label, i.e. a disentangled code (the MIG of Chen et al., 2018)."""
    top = np.sort(info.to_numpy(), axis=0)[::-1]
    return pd.Series(top[0] - top[1], index=info.columns, name="mig")


METRIC_COLUMNS = ["method", "seed", "n_clusters", "noise_share", "silhouette", "calinski_harabasz",
                  "davies_bouldin", "silhouette_features", "nmi_genre", "ari_genre", "purity_genre", "acc_genre",
                  "nmi_language", "ari_language", "purity_language", "acc_language"]


def summarize_scores(scores: pd.DataFrame, by: str | list[str] = "method",
                     metrics: list[str] | None = None) -> pd.DataFrame:
    """Return mean, standard deviation and number of seeds of each metric per group."""
    metrics = metrics or [c for c in scores.columns if c not in (["seed"] + ([by] if isinstance(by, str) else by))
                          and pd.api.types.is_numeric_dtype(scores[c])]
    grouped = scores.groupby(by, sort=False)[metrics]
    table = grouped.agg(["mean", "std"])
    table[("n_seeds", "")] = grouped.size()
    return table


def format_scores(summary: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Return a summary as 'mean ± std' strings, one column per metric, for display."""
    metrics = [m for m in summary.columns.get_level_values(0).unique() if m != "n_seeds"]
    out = pd.DataFrame({m: [f"{a:.{digits}f} ± {b:.{digits}f}" if pd.notna(a) else "undefined"
                            for a, b in zip(summary[(m, "mean")], summary[(m, "std")].fillna(0))]
                        for m in metrics}, index=summary.index)
    out["seeds"] = summary[("n_seeds", "")].to_numpy()
    return out


def paired_differences(scores: pd.DataFrame, target: str, others: list[str], metrics: list[str],
                       by: str = "method", confidence: float = 0.95) -> pd.DataFrame:
    """Return, per other method and metric, the paired per-seed difference target - other
    (same seeds, same data): mean, a t interval at ``confidence`` over the seeds, the number of
    seeds, and a verdict: 'higher' or 'lower' when the interval excludes 0, else 'level'
    (also 'level' with fewer than 2 seeds). Higher is better for every metric given here."""
    from scipy import stats

    rows = []
    for metric in metrics:
        a = scores[scores[by] == target].set_index("seed")[metric]
        for other in others:
            b = scores[scores[by] == other].set_index("seed")[metric]
            d = (a - b).dropna()
            n = len(d)
            mean = float(d.mean()) if n else np.nan
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)) if n >= 2 else np.nan
            low, high = mean - half, mean + half
            verdict = ("higher" if n >= 2 and low > 0 else "lower" if n >= 2 and high < 0 else "level")
            rows.append(dict(target=target, other=other, metric=metric, n_seeds=n, target_mean=float(a.mean()),
                             other_mean=float(b.mean()), mean_difference=mean, ci_low=low, ci_high=high,
                             verdict=verdict))
    return pd.DataFrame(rows)


def score_table(scores: pd.DataFrame, metrics: list[str], by: str | list[str] = "method") -> pd.DataFrame:
    """Return the 'mean ± sd' table of the given metrics (those present) per method, with the seed count."""
    table = format_scores(summarize_scores(scores, by))
    return table[[m for m in metrics if m in table.columns] + ["seeds"]]


def verdict_table(comparisons: pd.DataFrame, keys: list[str] = ()) -> pd.DataFrame:
    """Return a :func:`paired_differences` table for reading: its ``keys`` columns (e.g. the data
    set of a committed benchmark table), means, the paired difference with its 95% interval, the
    number of seeds and the verdict, one row per pair and metric."""
    if comparisons.empty:
        return comparisons
    return pd.DataFrame({
        **{key: comparisons[key] for key in keys}, "metric": comparisons["metric"].map(_metric_name), "method": comparisons["target"],
        "mean": comparisons["target_mean"].round(3), "against": comparisons["other"],
        "its mean": comparisons["other_mean"].round(3),
        "difference [95% interval]": [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for d, lo, hi in
                                      comparisons[["mean_difference", "ci_low", "ci_high"]].to_numpy()],
        "seeds": comparisons["n_seeds"], "verdict": comparisons["verdict"]}).reset_index(drop=True)


def within_group_nmi(spaces: dict, assignments: pd.DataFrame, tracks: pd.DataFrame, methods: list[str],
                     group: str = "language", label: str = "genre") -> pd.DataFrame:
    """Return the ``label`` NMI of each method's clusters within the tracks of each ``group`` value
    (mean over seeds; rows: methods, columns: groups): e.g. genre within each language."""
    within = {}
    for method in methods:
        found = assignments[assignments.method == method]
        for value, idx in tracks.groupby(group).groups.items():
            nmis = [evaluate(spaces[(method, s)][idx], found[found.seed == s]["cluster"].to_numpy()[idx],
                             {label: tracks[label][idx]}).get(f"nmi_{label}", np.nan) for s in sorted(set(found.seed))]
            within[(method, value)] = np.mean(nmis)
    return pd.Series(within).unstack().rename_axis("method").round(3)


# ============================================================================ saving

def committed_table(name: str, made_by: str) -> pd.DataFrame | None:
    """Return a table committed under results/ (``name``, e.g. 'real/conv_size.csv'), or None,
    saying which command makes it, where it is absent."""
    path = Path(__file__).resolve().parent / "results" / name
    if not path.exists():
        print(f"results/{name} not found: `{made_by}` writes it.")
        return None
    return pd.read_csv(path)


def save_tables(results_dir: str | Path, **tables: pd.DataFrame) -> None:
    """Write each table to ``<results_dir>/<name>.csv`` and print what was written and the run's time.
    An empty table writes nothing and removes an earlier run's file of that name, and figures this
    run did not draw are removed, so the folder never mixes runs (e.g. a skipped_files.csv of
    other data). Other files in the folder are left alone."""
    results = Path(results_dir)
    written = []
    for name, table in tables.items():
        path = results / f"{name}.csv"
        if table is None or len(table) == 0:
            path.unlink(missing_ok=True)
            continue
        table.to_csv(path, index=table.index.name is not None or isinstance(table.index, pd.MultiIndex),
                     errors="backslashreplace")   # a file name that is not UTF-8 never stops the save
        written.append(f"{name} ({len(table)} rows)")
    stale = [p for p in (results / "figures").glob("*.png") if p.stat().st_mtime < _RUN_STARTED_AT]
    for path in stale:
        path.unlink()
    if stale:
        print(f"removed {len(stale)} figure(s) of an earlier run: {', '.join(p.name for p in stale)}")
    figures = len(list((results / "figures").glob("*.png")))
    print(f"wrote to {results}: {', '.join(written)}; {figures} figures; "
          f"{time.perf_counter() - _RUN_START:.0f} s since setup")
