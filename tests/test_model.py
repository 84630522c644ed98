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
from detector.model.bands import (
    HIGH_LEGIT_SHARE,
    MEDIUM_LEGIT_SHARE,
    MEDIUM_RECALL,
    choose_thresholds,
)
from detector.model.dataset import DataError, load_labelled, load_real, natural_weights
from detector.model.decision import BoundedLogistic
from detector.model.ensemble import JobScamModel
from detector.model.frames import template_groups
from detector.model.persistence import MANIFEST_FILE, MODEL_FILE, read_manifest
from detector.training.train import train


@pytest.fixture(scope="module")
def small_model(
    shared_data: Path, shared_real: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A model trained on a stratified sample of EMSCAD and all real ads, in a temp folder."""
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
    train(csv, out, real=shared_real, n_splits=3)
    return out


def test_training_on_a_small_frame_gives_a_loadable_model(small_model: Path) -> None:
    det = Detector.load(small_model)
    v = det.score("Work from home data entry, earn $600 a day, no experience, pay $50 starter kit")
    assert 0 <= v.probability <= 1
    m = read_manifest(small_model)
    assert m["training_data"]["emscad"]["rows"] == 400
    assert m["training_data"]["real"]["rows"] > 300
    assert set(m["thresholds"]) == {"paste:en", "paste:id", "fields:en", "fields:id"}
    for th in m["thresholds"].values():
        assert 0 < th["medium"] <= th["high"] <= 1
    assert len(m["sha256"]) == 64


def test_a_tampered_model_file_is_refused(small_model: Path, tmp_path: Path) -> None:
    d = tmp_path / "tampered"
    shutil.copytree(small_model, d)
    blob = bytearray((d / MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (d / MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="does not match its manifest"):
        Detector.load(d)


FIXED_ADS = [
    "Work from home data entry, earn $600 a day, no experience, pay $50 starter kit",
    "Dicari admin di Kamboja, gaji 15jt, visa turis, tiket ditanggung, hub WA 0812 3456 7890",
    "Senior accountant for our Leeds office; ACCA qualified, 3 years' experience. Apply online.",
    "PT Sinar Abadi membuka lowongan staf gudang di Surabaya, kirim lamaran ke karir kami.",
    {"title": "Nurse", "description": "Night shifts at a county hospital", "has_company_logo": "1"},
]


def test_a_model_saved_as_data_scores_identically_after_loading(small_model: Path) -> None:
    from detector.model.format import model_from_data, model_to_data
    from detector.model.persistence import load_model

    model, _ = load_model(small_model)
    again = model_from_data(*model_to_data(model))
    a = Detector(model).score_many(FIXED_ADS)
    b = Detector(again).score_many(FIXED_ADS)
    for x, y in zip(a, b, strict=True):
        assert abs(x.probability - y.probability) <= 1e-9
        assert x.risk == y.risk


def test_loading_runs_no_unpickler(small_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    import joblib

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model must load without unpickling")

    for target, name in ((pickle, "loads"), (pickle, "load"), (joblib, "load")):
        monkeypatch.setattr(target, name, refuse)
    monkeypatch.setattr(np, "load", _no_pickle(np.load))
    det = Detector.load(small_model)
    assert 0 <= det.score(FIXED_ADS[0]).probability <= 1


def _no_pickle(load):  # np.load, but failing if anyone asks it to unpickle
    def guarded(*args, **kwargs):
        assert not kwargs.get("allow_pickle", False), "np.load with allow_pickle"
        return load(*args, **kwargs)

    return guarded


def test_other_library_versions_still_load(small_model: Path, tmp_path: Path) -> None:
    """The model is data: the versions it was saved with are recorded, not required."""
    d = tmp_path / "other-versions"
    shutil.copytree(small_model, d)
    m = json.loads((d / MANIFEST_FILE).read_text())
    m["libraries"].update({"scikit-learn": "0.24.2", "numpy": "1.20.0", "scipy": "1.5.0"})
    (d / MANIFEST_FILE).write_text(json.dumps(m))
    a = Detector.load(small_model).score_many(FIXED_ADS)
    b = Detector.load(d).score_many(FIXED_ADS)
    assert [x.probability for x in a] == [x.probability for x in b]


def test_a_changed_structure_file_is_refused(small_model: Path, tmp_path: Path) -> None:
    d = tmp_path / "structure"
    shutil.copytree(small_model, d)
    p = d / "model.json"
    p.write_text(p.read_text().replace('"C"', '"C" ', 1))
    with pytest.raises(ModelError, match="does not match its manifest"):
        Detector.load(d)


def test_an_old_pickled_model_says_retrain(small_model: Path, tmp_path: Path) -> None:
    d = tmp_path / "pickled"
    shutil.copytree(small_model, d)
    m = json.loads((d / MANIFEST_FILE).read_text())
    del m["files"]
    m["model_file"] = "jobscam.joblib"
    (d / MANIFEST_FILE).write_text(json.dumps(m))
    with pytest.raises(ModelError, match="older jobscam.*jobscam train"):
        Detector.load(d)


def test_a_model_in_an_older_format_says_retrain(small_model: Path, tmp_path: Path) -> None:
    """Format 1 models held scikit-learn TfidfVectorizers; this jobscam cannot score them."""
    d = tmp_path / "format1"
    shutil.copytree(small_model, d)
    m = json.loads((d / MANIFEST_FILE).read_text())
    assert m["model_format"] == 3
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
    from detector.model.frames import frame_texts

    g = template_groups(frame_texts(df))
    y = df["fraudulent"].to_numpy()
    assert np.unique(g).size < len(df), "the corpus has templates; grouping must find them"
    for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(df, y, g):
        assert not set(g[tr]) & set(g[te])


def test_bands_keep_recall_on_real_ads_and_few_legit_ads_high() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(100), np.zeros(150)].astype(int)
    p = np.clip(np.r_[rng.normal(0.8, 0.1, 100), rng.normal(0.3, 0.1, 150)], 0, 1)
    th = choose_thresholds(y, p, np.full(len(y), "real"))
    assert th.medium <= th.high
    assert (p[y == 1] >= th.medium).mean() >= MEDIUM_RECALL["real"]
    assert (p[y == 0] >= th.high).mean() <= HIGH_LEGIT_SHARE


def test_medium_gives_up_recall_before_it_flags_many_legitimate_ads() -> None:
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(100), np.zeros(150)].astype(int)
    p = np.clip(np.r_[rng.normal(0.5, 0.2, 100), rng.normal(0.4, 0.2, 150)], 0, 1)  # overlap
    th = choose_thresholds(y, p, np.full(len(y), "real"))
    assert (p[y == 0] >= th.medium).mean() <= MEDIUM_LEGIT_SHARE


def test_bands_on_emscad_maximise_f1_and_real_ads_cap_medium() -> None:
    rng = np.random.default_rng(1)
    ye = np.r_[np.ones(100), np.zeros(400)].astype(int)
    pe = np.clip(np.r_[rng.normal(0.5, 0.2, 100), rng.normal(0.05, 0.05, 400)], 0, 1)
    yr = np.r_[np.ones(50), np.zeros(60)].astype(int)
    pr = np.clip(np.r_[rng.normal(0.8, 0.1, 50), rng.normal(0.3, 0.1, 60)], 0, 1)
    alone = choose_thresholds(ye, pe, np.full(len(ye), "emscad"))
    assert (pe[ye == 1] >= alone.medium).mean() >= 0.90  # weighted recall 0.95
    both = choose_thresholds(
        np.r_[ye, yr], np.r_[pe, pr], np.r_[np.full(len(ye), "emscad"), np.full(len(yr), "real")]
    )
    assert both.medium <= both.high and both.high >= alone.high  # the most careful high
    assert (pr[yr == 0] >= both.medium).mean() <= MEDIUM_LEGIT_SHARE


def test_bounded_logistic_matches_scikit_learn_unbounded_and_keeps_bounds() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(400, 3))
    y = (Z @ np.array([1.5, -2.0, 0.5]) + rng.normal(size=400) > 0).astype(int)
    ours = BoundedLogistic(C=1.0).fit(Z, y)
    ref = LogisticRegression(C=1.0).fit(Z, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_.ravel(), atol=1e-3)
    bounded = BoundedLogistic(C=1.0, lower=[-np.inf, 0.0, -np.inf]).fit(Z, y)
    assert bounded.coef_[1] == pytest.approx(0.0, abs=1e-9)  # wanted -2, may not go below 0
    assert bounded.coef_[0] > 0


def test_red_flags_only_ever_raise_in_the_shipped_decision(detector: Detector) -> None:
    m = detector.model
    for mode in ("paste", "fields"):
        names = m.design_names(mode)
        coef = dict(zip(names, m.decision_[mode].coef_, strict=True))
        for n, lo in zip(names, m.lower_bounds(mode), strict=True):
            if n.startswith("cat:"):
                assert lo == 0.0, n
            if lo == 0.0:
                assert coef[n] >= 0.0, (mode, n, coef[n])


def test_real_ads_loader(shared_real: Path, tmp_path: Path) -> None:
    r = load_real(shared_real)
    assert set(r["language"]) == {"en", "id"} and set(r["fraudulent"]) == {0, 1}
    assert r["cv_group"].notna().all()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "maybe", "language": "id", "cv_group": "g"}\n')
    with pytest.raises(DataError, match="label"):
        load_real(bad)
    with pytest.raises(DataError, match="not found"):
        load_real(tmp_path / "missing.jsonl")


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
