"""Write the notebooks' ``#@save`` cells into utils.py, so the code a student reads is the code that runs.

    python scripts/export_notebook_code.py          # after editing a #@save cell
    python scripts/export_notebook_code.py --check  # exit 1 when utils.py differs (make stale, the tests)

As in d2l's ``#@save``: the model, loss and training-step cells of the notebooks are the one
source; this script copies them, in notebook order, between the two marker lines of utils.py.
Later notebooks, the scripts and the tests then use ``utils.VAE`` and friends, which are
exactly those cells. Standard library only: it runs before any install.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from tasks import TASKS  # noqa: E402

TARGET = ROOT / "utils.py"
MARK = "#@save"
BEGIN = "# >>> written from the notebooks' #@save cells by scripts/export_notebook_code.py: edit them there\n"
END = "# <<< end of the notebooks' #@save cells\n"


def saved_cells(notebook: Path) -> list[str]:
    """Return the sources of a notebook's code cells whose first line is ``#@save``, without that line."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return [s.split("\n", 1)[1].strip("\n") for s in sources if s.startswith(MARK)]


def exported_block() -> str:
    """Return the text that belongs between the markers: every saved cell, with the notebook it comes from."""
    parts = []
    for name in TASKS.values():
        for source in saved_cells(ROOT / "notebooks" / name):
            parts.append(f"# notebooks/{name}\n{source}\n")
    return BEGIN + "\n\n".join(parts) + END


def updated_utils(text: str) -> str:
    """Return utils.py's text with the block between the markers replaced by the notebooks' cells."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"{TARGET.name} must hold the two marker lines once each:\n{BEGIN}{END}")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return head + exported_block() + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when utils.py is out of date")
    args = ap.parse_args(argv)
    text = TARGET.read_text(encoding="utf-8")
    new = updated_utils(text)
    if args.check:
        if new != text:
            print("utils.py differs from the notebooks' #@save cells: run python scripts/export_notebook_code.py")
            return 1
        print("utils.py holds the notebooks' #@save cells as they are")
        return 0
    if new != text:
        TARGET.write_text(new, encoding="utf-8")
        print(f"wrote the #@save cells of {len(TASKS)} notebooks into utils.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
