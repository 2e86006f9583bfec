"""Choose the easy notebook's VAE size and training length without labels: held-out ELBO.

    python benchmarks/easy_vae_selection.py [--preset full]

Trains on 80% of the tracks' standardised MFCC statistics and prints the held-out negative
ELBO (reconstruction + KL, beta = 1) for a few widths, latent sizes and epoch counts, mean
over 3 seeds. Genre and language are not used.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import utils  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--epochs", type=int, default=600)
    args = ap.parse_args()
    from sklearn.preprocessing import StandardScaler

    tracks, _ = utils.load_tracks("demo", preset=args.preset, verbose=False)
    X_raw, _ = utils.extract_mfcc_stats(tracks, verbose=False)
    rows = []
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(X_raw))
        cut = int(0.8 * len(order))
        scaler = StandardScaler().fit(X_raw[order[:cut]])
        X_tr, X_va = (scaler.transform(X_raw[i]).astype(np.float32) for i in (order[:cut], order[cut:]))
        for hidden in (128, 256, 512):
            for latent in (8, 16, 32):
                _, hist = utils.fit_vae(X_tr, latent, seed=seed, hidden_dim=hidden, epochs=args.epochs,
                                        warmup_epochs=100, X_val=X_va, verbose=False)
                for ep in (100, 200, 300, 400, 600):
                    if ep <= args.epochs:
                        rows.append(dict(hidden=hidden, latent=latent, epochs=ep, seed=seed,
                                         val_elbo_loss=hist.loc[ep - 1, "val_elbo_loss"]))
    table = pd.DataFrame(rows).pivot_table(index=["hidden", "latent"], columns="epochs", values="val_elbo_loss")
    print("held-out negative ELBO (lower is better), mean over 3 seeds:")
    print(table.round(1).to_string())
    best = table.stack().idxmin()
    print(f"best: hidden {best[0]}, latent {best[1]}, {best[2]} epochs")


if __name__ == "__main__":
    main()
