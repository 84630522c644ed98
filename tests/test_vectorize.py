"""The Arrow n-gram TF-IDF must be the TF-IDF scikit-learn would compute, only faster.

Texts here are written for these tests.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from detector.model.prepare import lexical_array, lexical_text
from detector.model.vectorize import LexicalFeatures, NgramTfidf
from detector.schema import FIELD_LABELS, TEXT_FIELDS, join_fields
from detector.text.extract import contact_placeholders, extract_contacts

CORPUS = [
    "Customer service staff needed in Phnom Penh, salary USD 1,200 per month!",
    "customer service staff needed: no experience, free visa, free ticket",
    "Lowongan kerja: admin gudang, gaji Rp 4.500.000, hubungi WA 0812-3456-7890",
    "admin gudang dibutuhkan segera, gaji Rp 4.500.000 / bulan",
    "Café naïve résumé: 日本語 の 求人 snake_case_token and x y z single letters",
    "café résumé naïve snake_case_token, again with 日本語",
    "",
    "   ",
    "Senior data engineer; Python, SQL; hybrid in Jakarta. Apply at jobs.example.com/apply",
    "Senior data engineer wanted, python and sql, apply jobs@example.com",
]


def sklearn_reference(prepared: list[str], **kw) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=False, sublinear_tf=True, dtype=np.float32, **{"min_df": 2, **kw}
    ).fit(prepared)


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2)])
def test_ngram_tfidf_equals_scikit_learn(ngram_range: tuple[int, int]) -> None:
    prepared = lexical_array(CORPUS).to_pylist()
    ref = sklearn_reference(prepared, ngram_range=ngram_range)
    ours = NgramTfidf(ngram_range=ngram_range).fit(prepared)
    assert ours.vocabulary_ == ref.vocabulary_
    np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=1e-6)
    A = ref.transform(prepared).toarray()
    B = ours.transform(prepared).toarray()
    np.testing.assert_allclose(B, A, atol=1e-6)
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out())


def test_ngram_tfidf_unseen_and_empty_input() -> None:
    ours = NgramTfidf().fit(lexical_array(CORPUS))
    X = ours.transform(["completely unseen wording", "", None])  # type: ignore[list-item]
    assert X.shape == (3, len(ours.vocabulary_))
    assert X.nnz == 0
    assert ours.transform([]).shape == (0, len(ours.vocabulary_))


def test_ngram_tfidf_refuses_a_corpus_with_nothing_to_learn() -> None:
    with pytest.raises(ValueError, match="min_df"):
        NgramTfidf(min_df=2).fit(["one", "two"])


def test_pickled_vectorizer_scores_the_same() -> None:
    ours = NgramTfidf().fit(lexical_array(CORPUS))
    before = ours.transform(lexical_array(CORPUS)).toarray()
    clone = pickle.loads(pickle.dumps(ours))
    assert "_terms" not in clone.__dict__  # the Arrow copy is not pickled...
    np.testing.assert_array_equal(clone.transform(lexical_array(CORPUS)).toarray(), before)


def test_lexical_text_folds_contacts_digits_and_case() -> None:
    t = lexical_text("Call +62 812-3456-7890 or mail HR@Example.com, see www.Example.com/jobs")
    assert "phonetoken" in t and "emailtoken" in t and "urltoken" in t
    assert "812" not in t and "example" not in t
    # Thousands separators are money, not a phone number.
    money = lexical_text("Gaji Rp 15.000.000 per bulan")
    assert "phonetoken" not in money
    assert money.split() == ["gaji", "rp", ",", ",", "per", "bulan"]
    # Bare numbers go (they date or locate an ad); digits inside a word stay.
    assert lexical_text("Salary £28,000 in 2024, gaji 15jt").split() == [
        "salary",
        "£",
        ",",
        "in",
        ",",
        "gaji",
        "00jt",
    ]
    # EMSCAD's own placeholders read like pasted contacts.
    assert lexical_text("#URL_0a1b2c# and #EMAIL_ff00#").split() == [
        "urltoken",
        "and",
        "emailtoken",
    ]
    assert lexical_text("ＦＵＬＬ width ＷＡ") == "full width wa"  # NFKC
    assert lexical_text("") == ""


def test_contacts_become_placeholders_where_the_text_layer_finds_them() -> None:
    ad = (
        "Kerja 08.00 - 17.00, WA 0812-3456-7890, wa.me/6281234567890, "
        "daftar di karir.contoh.example.id atau hr.contoh@gmail.com"
    )
    kinds = [c.kind for c in extract_contacts(ad)]
    assert kinds == ["whatsapp", "whatsapp", "url", "email"]
    # Working hours are no phone number; a wa.me link is a URL; a bare domain is a URL.
    assert lexical_text(ad).split() == (
        [
            "kerja",
            ".",
            "-",
            ".",
            ",",
            "wa",
            "phonetoken",
            ",",
            "urltoken",
            ",",
            "daftar",
            "di",
            "urltoken",
            "atau",
            "emailtoken",
        ]
    )
    # The placeholder replaces exactly the contact's span of the original text.
    masked = contact_placeholders("Hubungi @hrd_contoh atau 0812 3456 7890 sekarang")
    assert masked == "Hubungi @hrd_contoh atau  phonetoken  sekarang"
    assert contact_placeholders("tanpa kontak") == "tanpa kontak"


def fields_rows() -> list[dict[str, str]]:
    return [
        {
            "title": "Customer Service (Cambodia)",
            "company_profile": "A fast growing online company",
            "description": "Free visa and ticket, deducted from salary later",
            "salary_range": "1000-1500",
            "location": "KH, Phnom Penh",
        },
        {"title": "Data engineer", "description": "Python and SQL, hybrid in Jakarta"},
        {
            "title": "Customer Service",
            "description": "Online company, free visa and ticket",
            "benefits": "Free housing",
        },
        {"title": "Data engineer", "requirements": "SQL, Python", "location": "ID, Jakarta"},
    ]


def test_fields_whole_ad_block_is_the_joined_ad() -> None:
    """The whole-ad block built from the fields' tokens equals TF-IDF of the joined text."""
    rows = fields_rows()
    cols = {f: [r.get(f, "") for r in rows] for f in TEXT_FIELDS}
    feats = LexicalFeatures(
        parts=TEXT_FIELDS, fields=("title", "description"), labels=dict(FIELD_LABELS), min_df=1
    ).fit(cols)
    joined = lexical_array([join_fields(r) for r in rows])
    ref = NgramTfidf(min_df=1).fit(joined)
    whole = feats.vectorizers_[0]
    assert whole.vocabulary_ == ref.vocabulary_
    X = feats.transform(cols).toarray()
    np.testing.assert_allclose(X[:, : len(ref.vocabulary_)], ref.transform(joined).toarray())
    # Each field block only sees its own field: no bigram spans a field boundary there.
    title = feats.vectorizers_[1]
    assert "service cambodia" in title.vocabulary_  # punctuation does not break a bigram
    assert not any(t.startswith("cambodia fast") for t in title.vocabulary_)
    assert "cambodia fast" in whole.vocabulary_  # title -> company_profile, whole ad only
    names = feats.get_feature_names_out()
    assert len(names) == X.shape[1]
    assert names[0].startswith("text__") and names[-1].startswith("description__")


def test_fields_features_accept_a_frame_or_columns_and_missing_fields() -> None:
    import pandas as pd

    rows = fields_rows()
    cols = {f: [r.get(f, "") for r in rows] for f in TEXT_FIELDS}
    feats = LexicalFeatures(parts=TEXT_FIELDS, fields=("title",), min_df=1).fit(cols)
    frame = pd.DataFrame(rows)  # no requirements column in some rows, NaN cells
    a = feats.transform(frame).toarray()
    b = feats.transform(cols).toarray()
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="not among the parts"):
        LexicalFeatures(parts=("title",), fields=("description",)).fit(cols)


def test_small_and_large_batches_give_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """One ad is looked up with Python dicts, a chunk with Arrow: the matrices must agree."""
    import detector.model.prepare as vectorize

    rows = fields_rows() * 3
    cols = {f: [r.get(f, "") for r in rows] for f in TEXT_FIELDS}
    feats = LexicalFeatures(parts=TEXT_FIELDS, fields=("title", "description"), min_df=1)
    feats.fit(cols)
    monkeypatch.setattr(vectorize, "SMALL_BATCH_NGRAMS", 10**9)
    small = feats.transform(cols).toarray()
    monkeypatch.setattr(vectorize, "SMALL_BATCH_NGRAMS", -1)
    large = feats.transform(cols).toarray()
    np.testing.assert_array_equal(small, large)
    assert small.any()


def test_few_and_many_ads_are_tokenized_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pasted ad is tokenized with a precompiled RE2, a chunk with Arrow's kernel."""
    import detector.model.prepare as vectorize

    tricky = [
        "café naïve résumé: 日本語 の 求人 snake_case_token and x y z—don’t",
        "İstanbul ı ǅ ½ ² ٣ a٣ ٣٣ e\u0301te Ｆｕｌｌ ",
        "",
        "a",
        "ab",
        "emoji 🙂🙂 between👍words tab\there\nnew line",
    ] + CORPUS
    prepared = lexical_array(tricky)
    monkeypatch.setattr(vectorize, "SMALL_BATCH_BYTES", 10**9)
    few_tok, few_doc = vectorize.tokens(prepared)
    monkeypatch.setattr(vectorize, "SMALL_BATCH_BYTES", -1)
    many_tok, many_doc = vectorize.tokens(prepared)
    assert few_tok.to_pylist() == many_tok.to_pylist()
    np.testing.assert_array_equal(few_doc, many_doc)
    assert "snake_case_token" in few_tok.to_pylist() and "日本語" in few_tok.to_pylist()
