"""Where the repository's own files are: the shipped model, the development set, ``../shared``.

One place, so that moving a module never silently points it at the wrong folder.
Imports nothing from ``detector``.
"""

from __future__ import annotations

from pathlib import Path

#: The ``detector`` package.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository (or source tree) that holds the package.
REPO_DIR = PACKAGE_DIR.parent
#: The shipped model's folder.
DEFAULT_MODEL_DIR = REPO_DIR / "models"
#: The project's own written ads: the development set the rules were written against.
PROJECT_ADS = REPO_DIR / "data" / "project_ads.jsonl"
#: The Streamlit page.
APP_SCRIPT = REPO_DIR / "app.py"
#: ``../shared`` beside the repository: the labelled corpora (never copied into the repo).
SHARED_DIR = REPO_DIR.parent / "shared"
