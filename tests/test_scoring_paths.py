"""The fast paths of scoring give exactly what the general paths give.

A pasted ad is prepared, tokenized and weighed in plain Python (Arrow's regex kernels compile
their pattern on every call, more than the work for one ad); a chunk goes through Arrow. The
two must never disagree: the model would score a pasted ad and the same ad in a scan apart.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import detector.model.prepare as vectorize
from detector.schema import Ad

ROOT = Path(__file__).resolve().parents[1]
PROJECT_ADS = [
    json.loads(line)["text"]
    for line in (ROOT / "data" / "project_ads.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
TRICKY = [
    "",
    "a",
    "Rp 15.000.000 / bulan, hub +62 812-3456-7890 atau www.kerja-cepat.com/daftar sekarang",
    "#URL_0af3b2# #EMAIL_99aa# #PHONE_1f# hr.team@gmail.com bit.ly/abc 2.500.000.000",
    "İstanbul ı ǅ ½ ² ٣ a٣ ٣٣ e\u0301te Ｆｕｌｌ ﬁnance ①② Ⅻ",
    "emoji 🙂🙂 between👍words tab\there\nnew line, snake_case_token x.id/ab 1234567890123",
    # Characters Python's \w and RE2's [\p{L}\p{N}_] classify differently (their Unicode
    # versions differ): the Python tokenizer must step aside for them.
    "abc \U0001123f\U00011240 def \U00011f04\U00011f05x 𑼄",
]


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    alphabet = "aİıIß Ǆ١٢३Ⅻⅻ²½①_-.,@/:+()#\n\t0123456789 éüñ😀\u200b\u0301ﬁＡ１。\U0001123f"
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80))) for _ in range(n)]


TEXTS = PROJECT_ADS + TRICKY + _random_texts(400)


def _arrow_path(texts: list[str]) -> tuple[list[str], list[int]]:
    """Preparation and tokens through Arrow's kernels (the chunk path), forced."""
    old = vectorize.SMALL_BATCH_BYTES
    vectorize.SMALL_BATCH_BYTES = -1
    try:
        tok, doc = vectorize.tokens(vectorize.lexical_array(texts))
    finally:
        vectorize.SMALL_BATCH_BYTES = old
    return tok.to_pylist(), doc.tolist()


@pytest.mark.parametrize("i", range(len(TEXTS)))
def test_one_ad_is_prepared_and_tokenized_as_in_a_chunk(i: int) -> None:
    text = TEXTS[i]
    old = vectorize.SMALL_BATCH_BYTES
    vectorize.SMALL_BATCH_BYTES = -1
    try:
        arrow = vectorize.lexical_array([text]).to_pylist()
    finally:
        vectorize.SMALL_BATCH_BYTES = old
    assert vectorize.lexical_array([text]).to_pylist() == arrow
    tok, doc = vectorize.tokens(vectorize.lexical_array([text]))
    assert (tok.to_pylist(), doc.tolist()) == _arrow_path([text])


def test_python_tokenizer_steps_aside_where_unicode_versions_differ() -> None:
    assert not vectorize._python_agrees("x \U0001123f")
    assert vectorize._python_agrees("plain ascii") and vectorize._python_agrees("日本語 café")
    tok, _ = vectorize.tokens(vectorize.lexical_array(["ab \U0001123f\U00011240 cd"]))
    assert tok.to_pylist() == _arrow_path(["ab \U0001123f\U00011240 cd"])[0]


@pytest.mark.parametrize("rng", [(1, 1), (1, 2), (2, 2)])
def test_few_ngrams_are_the_chunk_ngrams(rng: tuple[int, int]) -> None:
    texts = TEXTS[:60]
    grams, rows = vectorize.few_ngrams(texts, rng)
    tok, doc = _arrow_path(texts)
    import pyarrow as pa

    want, want_rows = vectorize.raw_ngrams(
        pa.array(tok, type=pa.large_string()), np.asarray(doc, dtype=np.int64), rng
    )
    assert grams == want.to_pylist()
    np.testing.assert_array_equal(rows, want_rows)


def test_counts_from_sorted_keys_are_scipys_counts(detector) -> None:
    """The sorted-keys count matrix equals scipy's COO -> CSR -> sum_duplicates one."""
    v = detector.model.real_.features_.vectorizers_[0]
    rnd = np.random.default_rng(0)
    for n_docs, n in ((1, 900), (7, 3000), (300, 60_000)):
        doc = np.sort(rnd.integers(0, n_docs, n))
        ids = rnd.integers(-1, len(v.vocabulary_), n)
        ids[rnd.random(n) < 0.3] = -1
        ids[: n // 3] = ids[n // 3 : 2 * (n // 3)]  # repeated terms
        data, indices, indptr = v._count_parts(doc, ids, n_docs)
        want = v._count_matrix(doc, ids, n_docs)
        np.testing.assert_array_equal(indptr, want.indptr)
        np.testing.assert_array_equal(indices, want.indices)
        np.testing.assert_array_equal(data, want.data)


def test_one_ad_scores_as_it_does_in_a_batch(detector) -> None:
    """score() (the one-ad path) and score_many() (the chunk path) agree to 1e-9."""
    texts = PROJECT_ADS[:60]
    old = (vectorize.SMALL_BATCH_BYTES, vectorize.SMALL_BATCH_NGRAMS)
    vectorize.SMALL_BATCH_BYTES, vectorize.SMALL_BATCH_NGRAMS = -1, -1
    try:
        many = detector._score_ads([Ad.from_input(t) for t in texts], with_terms=False)
    finally:
        vectorize.SMALL_BATCH_BYTES, vectorize.SMALL_BATCH_NGRAMS = old
    for text, v in zip(texts, many, strict=True):
        one = detector.score(text)
        assert abs(one.probability - v.probability) <= 1e-9
        assert one.findings == v.findings and one.risk == v.risk
