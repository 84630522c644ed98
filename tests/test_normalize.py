"""Normalisation: each evasion trick is folded, and every span maps back to the original."""

from __future__ import annotations

import random
import time

import pytest
from evasion import TRICKS, evade

from detector.text.normalize import normalize

FOLDS = [
    # (original, normalised)
    ("Hello World", "hello world"),
    ("WhatsApp\u200b 0812", "whatsapp 0812"),  # zero-width space
    ("Wh\u200ca\u200dts\u2060App\ufeff", "whatsapp"),  # ZWNJ, ZWJ, word joiner, BOM
    ("\u202eWA\u202c \u2066hub\u2069", "wa hub"),  # bidi overrides and isolates
    ("W\u0068\u0430ts\u0430pp", "whatsapp"),  # Cyrillic a
    ("\u03a4\u0435l\u0435gr\u0430m", "telegram"),  # Greek Tau, Cyrillic ie/a
    ("wh4tsapp t3l3gr4m p4$$port", "whatsapp telegram passport"),
    ("wh@tsapp", "whatsapp"),
    ("W h a t s A p p 0812", "whatsapp 0812"),
    ("w.h.a.t.s.a.p.p", "whatsapp"),
    ("t-e-l-e-g-r-a-m", "telegram"),
    ("\uff37\uff21 \uff10\uff18\uff11\uff12", "wa 0812"),  # full-width letters and digits
    ("0\ufe0f\u20e38\ufe0f\u20e3", "08"),  # keycap emoji digits
    ("\u2776\u2777 \u2460\u2461", "12 12"),  # dingbat and circled digits
    ("\U0001d430\U0001d421\U0001d41a\U0001d42d\U0001d42c", "whats"),  # math bold
    ("Cafe\u0301 Z\u0351\u0352a\u0353lgo", "cafe zalgo"),  # combining marks dropped
    ("don\u2019t \u201cquote\u201d 8\u201312 jt", 'don\'t "quote" 8-12 jt'),
    ("a\t\tb\n\n\nc  \u00a0 d", "a b c d"),  # whitespace collapsed
    ("\ufb01ne \u2026", "fine ..."),  # ligature and ellipsis expand
]


@pytest.mark.parametrize(("original", "expected"), FOLDS)
def test_folds(original: str, expected: str) -> None:
    assert normalize(original).text == expected


KEEP_NUMBERS = [
    # leetspeak is folded only between letters; money, phones, codes, addresses keep digits
    ("gaji rp15jt", "gaji rp15jt"),
    ("usd1200 per bulan", "usd1200 per bulan"),
    ("wa 0812-3456-7890", "wa 0812-3456-7890"),
    ("j0hn.d03@gmail.com", "j0hn.d03@gmail.com"),
    ("t.me/j0hn_b0t", "t.me/j0hn_b0t"),
    ("covid19 mp3 b2b 4x4 2nd", "covid19 mp3 b2b 4x4 2nd"),
    ("#url_86fd830a95a64e2b30ceed829e63fd8c#", "#url_86fd830a95a64e2b30ceed829e63fd8c#"),
    ("$300/d4y", "$300/day"),
    ("us1a 17 tahun", "usia 17 tahun"),
]


@pytest.mark.parametrize(("original", "expected"), KEEP_NUMBERS)
def test_leet_keeps_real_numbers(original: str, expected: str) -> None:
    assert normalize(original).text == expected


def test_plain_ascii_takes_the_identity_fast_path() -> None:
    text = "We are hiring a Marketing Intern in New York. Apply on our website."
    n = normalize(text)
    assert n.is_identity
    assert n.text == text.lower()
    assert n.to_original(3, 6) == (3, 6)


@pytest.mark.parametrize(("original", "_"), FOLDS)
def test_every_character_maps_back_in_order(original: str, _: str) -> None:
    n = normalize(original)
    last_start = -1
    for i in range(len(n.text)):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s < e <= len(original)
        assert s >= last_start
        last_start = s
    assert n.to_original(0, len(n.text))[1] <= len(original)


WORDS = [
    ("Hub W\u200bh\u0430ts4pp sekarang", "whatsapp", "W\u200bh\u0430ts4pp"),
    ("Kirim ke w.h.a.t.s.a.p.p ya", "whatsapp", "w.h.a.t.s.a.p.p"),
    ("Call \uff10\uff18\uff11\uff12 now", "0812", "\uff10\uff18\uff11\uff12"),
    ("Caf\u0065\u0301 job", "cafe", "Caf\u0065\u0301"),
    ("x 1\ufe0f\u20e32\ufe0f\u20e3 y", "12", "1\ufe0f\u20e32\ufe0f\u20e3"),
    ("a  \n  P\u0430sp\u043er7  b", "pasp", "P\u0430sp"),
]


@pytest.mark.parametrize(("original", "word", "expected"), WORDS)
def test_word_spans_map_to_exact_original_characters(
    original: str, word: str, expected: str
) -> None:
    n = normalize(original)
    s = n.text.index(word)
    os_, oe = n.to_original(s, s + len(word))
    assert original[os_:oe] == expected


def test_empty_span_and_bounds() -> None:
    n = normalize("ab\u200bcd")
    assert n.to_original(2, 2)[0] == n.to_original(2, 3)[0]
    assert n.to_original(len(n.text), len(n.text)) == (5, 5)
    with pytest.raises(ValueError):
        n.to_original(0, 99)
    with pytest.raises(TypeError):
        normalize(b"bytes")  # type: ignore[arg-type]


def test_lone_surrogates_and_controls_are_dropped() -> None:
    n = normalize("a\ud800b\x85c\x00")
    assert "\ud800" not in n.text
    assert n.text.startswith("ab")


@pytest.mark.parametrize("trick", TRICKS)
def test_evade_then_normalize_recovers_the_words(trick: str) -> None:
    text = "Gaji besar tanpa pengalaman hubungi whatsapp admin sekarang juga 08123456789"
    plain = normalize(text).text
    recovered = 0
    for seed in range(20):
        evaded = evade(text, seed, rate=0.6, tricks=(trick,))
        recovered += normalize(evaded).text == plain
    assert recovered >= 19, f"{trick}: only {recovered}/20 rewrites normalised back"


def test_random_unicode_never_breaks_the_map() -> None:
    rnd = random.Random(3)
    alphabet = "aZ09 .-\u200b\u0430\u0301\ufe0f\u20e3\uff10\ufb01\u2026\U0001f600\u00df\u202e\n"
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 40)))
        n = normalize(text)
        for i in range(len(n.text)):
            s, e = n.to_original(i, i + 1)
            assert 0 <= s < e <= len(text)


HOSTILE = {
    "plain": "a" * 1_000_000,
    "spaced": "a b " * 250_000,
    "dotted": "a.b." * 250_000,
    "leet": "a0" * 500_000,
    "leet no spaces slash": "/a4b" * 250_000,
    "zero-width": "a\u200b" * 500_000,
    "keycaps": "1\ufe0f\u20e3" * 333_333,
    "ligatures": "\ufb01" * 1_000_000,
    "spaces": " " * 1_000_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_megabyte_is_fast(name: str) -> None:
    t0 = time.perf_counter()
    n = normalize(HOSTILE[name])
    assert time.perf_counter() - t0 < 1.0
    assert len(n.text) <= 3 * len(HOSTILE[name])


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("\u13b3hatsapp", "whatsapp"),  # Cherokee LETTER LA looks like W
        ("\u0570ubungi", "hubungi"),  # Armenian ho looks like h
        ("\u0475isa kerja", "visa kerja"),  # Cyrillic izhitsa looks like v
        ("\u0261aji \u1d1b\u026a\u0274\u0262\u0262\u026a", "gaji tinggi"),  # small capitals
    ],
)
def test_unicode_confusables_fold_letters_the_hand_list_never_had(
    original: str, expected: str
) -> None:
    assert normalize(original).text == expected


def test_confusables_leave_real_writing_of_other_scripts_alone() -> None:
    # Arabic alef and Thai letters have Latin twins in the table; they are real text here.
    for text in ("\u0627\u0644\u0639\u0645\u0644", "\u0e07\u0e32\u0e19"):
        assert normalize(text).text == text
