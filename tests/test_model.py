"""Training, persistence and the leakage-aware protocol."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold

from detector import Detector, ModelError
from detector.dataset import DataError, load_labelled, natural_weights
from detector.model import JobScamModel, choose_thresholds, template_groups
from detector.persistence import MANIFEST_FILE, MODEL_FILE, read_manifest
from detector.train import train


@pytest.fixture(scope="module")
def small_model(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a stratified sample of the labelled data, in a temp folder."""
    df = pd.read_csv(shared_data, dtype=str, keep_default_na=False)
    sample = pd.concat(
        [
            df[df.fraudulent == "1"].sample(120, random_state=0),
            df[df.fraudulent == "0"].sample(280, random_state=0),
        ]
    )
    d = tmp_path_factory.mktemp("small")
    csv = d / "sample.csv"
    sample.to_csv(csv, index=False)
    out = d / "model"
    train(csv, out, n_splits=3)
    return out


def test_training_on_a_small_frame_gives_a_loadable_model(small_model: Path) -> None:
    det = Detector.load(small_model)
    v = det.score("Work from home data entry, earn $600 a day, no experience, pay $50 starter kit")
    assert 0 <= v.probability <= 1
    m = read_manifest(small_model)
    assert m["training_data"]["rows"] == 400
    assert set(m["thresholds"]) >= {"paste", "fields"}
    assert m["thresholds"]["paste"]["medium"] <= m["thresholds"]["paste"]["high"]
    assert len(m["sha256"]) == 64


def test_a_tampered_model_file_is_refused(small_model: Path, tmp_path: Path) -> None:
    d = tmp_path / "tampered"
    shutil.copytree(small_model, d)
    blob = bytearray((d / MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (d / MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="does not match its manifest"):
        Detector.load(d)


def test_other_library_versions_say_retrain(small_model: Path, tmp_path: Path) -> None:
    d = tmp_path / "old"
    shutil.copytree(small_model, d)
    m = json.loads((d / MANIFEST_FILE).read_text())
    m["libraries"]["scikit-learn"] = "0.24.2"
    (d / MANIFEST_FILE).write_text(json.dumps(m))
    with pytest.raises(ModelError, match="jobscam train"):
        Detector.load(d)


def test_a_model_in_an_older_format_says_retrain(small_model: Path, tmp_path: Path) -> None:
    """Format 1 models held scikit-learn TfidfVectorizers; this jobscam cannot score them."""
    d = tmp_path / "format1"
    shutil.copytree(small_model, d)
    m = json.loads((d / MANIFEST_FILE).read_text())
    assert m["model_format"] == 2
    del m["model_format"]  # what a format-1 manifest looks like
    (d / MANIFEST_FILE).write_text(json.dumps(m))
    with pytest.raises(ModelError, match="format 1.*jobscam train"):
        Detector.load(d)


def test_missing_model_folder_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="jobscam train"):
        Detector.load(tmp_path / "nowhere")


def test_the_shipped_model_is_small_and_loads(detector: Detector) -> None:
    m = detector.manifest
    assert m["size_bytes"] < 50_000_000
    assert m["rules_fingerprint"] == detector.registry.fingerprint
    assert "metrics" in m, "jobscam evaluate writes the metrics into the manifest"


def test_template_groups_keep_near_duplicates_together() -> None:
    base = (
        "We are looking for a friendly receptionist for our dental clinic in {city}. "
        "Duties include greeting patients, scheduling appointments and answering phones. "
        "Apply with your CV to our office manager."
    )
    other = [
        f"Senior {w} engineer wanted for aerospace projects, CAD and simulation skills"
        for w in ("mechanical", "electrical", "software", "civil", "chemical", "nuclear")
    ]
    texts = [base.format(city=c) for c in ("Boston", "Austin", "Denver", "Miami")] + other
    g = template_groups(texts)
    assert len(set(g[:4])) == 1
    assert len(set(g[4:])) == 6 and g[0] not in set(g[4:])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 1, 0, 0])
    for tr, te in StratifiedGroupKFold(n_splits=2).split(texts, y, g):
        assert not set(g[tr]) & set(g[te])


def test_the_shared_data_has_no_template_straddling_folds(shared_data: Path) -> None:
    df = load_labelled(shared_data)
    from detector.model import frame_texts

    g = template_groups(frame_texts(df))
    y = df["fraudulent"].to_numpy()
    assert np.unique(g).size < len(df), "the corpus has templates; grouping must find them"
    for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(df, y, g):
        assert not set(g[tr]) & set(g[te])


def test_thresholds_high_maximises_f1_and_medium_keeps_recall() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(100), np.zeros(400)].astype(int)
    p = np.clip(np.r_[rng.normal(0.7, 0.2, 100), rng.normal(0.2, 0.15, 400)], 0, 1)
    th = choose_thresholds(y, p, natural_weights(y))
    assert th.medium <= th.high
    assert (p[y == 1] >= th.medium).mean() >= 0.95


def test_natural_weights_restore_the_corpus_rate() -> None:
    y = np.array([1] * 10 + [0] * 40)
    w = natural_weights(y)
    assert w[y == 1].sum() / w.sum() == pytest.approx(866 / (866 + 17014))


def test_estimator_contract() -> None:
    m = JobScamModel(C=0.5, n_splits=3)
    assert m.get_params()["C"] == 0.5
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    assert not hasattr(c, "thresholds_")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,description\nA,B\n", "fraudulent"),
        ("title,description,fraudulent\nA,B,yes\n", "0 or 1"),
        ("title,description,fraudulent\nA,B,0\n", "both"),
    ],
)
def test_loader_rejects_malformed_files(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(DataError, match=message):
        load_labelled(p)


def test_loader_rejects_non_utf8_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes("title,description,fraudulent\ncaf\xe9,x,0\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        load_labelled(p)
    with pytest.raises(DataError, match="not found"):
        load_labelled(tmp_path / "missing.csv")
