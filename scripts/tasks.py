"""The one list of the project's notebooks, shared by the scripts: task name -> notebook file."""
from __future__ import annotations

TASKS = {"easy": "01_easy.ipynb", "medium": "02_medium.ipynb", "hard": "03_hard.ipynb"}
