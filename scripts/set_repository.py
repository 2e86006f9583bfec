"""Point the Colab badges and the notebooks' bootstrap clone at the repository's GitHub address.

    python scripts/set_repository.py my-account/music-vae-clustering

Replaces the current ``owner/name`` (read from the first notebook's ``REPO_URL``) in the
three notebooks (badge and bootstrap cell) and in README.md. Run it once after pushing the
project to GitHub, then commit.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "notebooks").glob("*.ipynb")) + [ROOT / "README.md"]


def main() -> None:
    if len(sys.argv) != 2 or not re.fullmatch(r"[\w.-]+/[\w.-]+", sys.argv[1]):
        sys.exit("usage: python scripts/set_repository.py OWNER/NAME")
    new = sys.argv[1]
    first = FILES[0].read_text(encoding="utf-8")
    match = re.search(r"https://github\.com/([\w.-]+/[\w.-]+?)\.git", first)
    if not match:
        sys.exit(f"no REPO_URL found in {FILES[0].name}")
    old = match.group(1)
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"github.com/{old}.git", f"github.com/{new}.git")
                        .replace(f"colab.research.google.com/github/{old}/", f"colab.research.google.com/github/{new}/"),
                        encoding="utf-8")
    print(f"{old} -> {new} in {', '.join(p.name for p in FILES)}")


if __name__ == "__main__":
    main()
