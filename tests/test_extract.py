"""Extraction: contacts, money, destinations and language, with spans into the original."""

from __future__ import annotations

import time

import pytest

from detector.text.extract import (
    MAX_ITEMS,
    detect_language,
    extract_amounts,
    extract_contacts,
    extract_destinations,
)
from detector.text.normalize import normalize

PHONES = [
    # (text, kind, E.164 value)
    ("Hub 081234567890", "phone", "+6281234567890"),
    ("HP 0812-3456-7890", "phone", "+6281234567890"),
    ("telp 0812 3456 7890", "phone", "+6281234567890"),
    ("tlp 0812.3456.7890", "phone", "+6281234567890"),
    ("kontak +62 812 3456 7890", "phone", "+6281234567890"),
    ("kontak +62-812-3456-7890", "phone", "+6281234567890"),
    ("kontak (+62) 812 3456 7890", "phone", "+6281234567890"),
    ("kontak 62 812 3456 7890", "phone", "+6281234567890"),
    ("kontak 6281234567890", "phone", "+6281234567890"),
    ("kantor (021) 555-1234 hub", "phone", "+62215551234"),
    ("call +1 (415) 555-0134", "phone", "+14155550134"),
    ("call +44 20 7946 0958", "phone", "+442079460958"),
    ("WA 0812-3456-7890", "whatsapp", "+6281234567890"),
    ("whatsapp: +62 813 1111 2222", "whatsapp", "+6281311112222"),
    ("hub wa 081311112222", "whatsapp", "+6281311112222"),
    ("0813 1111 2222 (WA)", "whatsapp", "+6281311112222"),
    ("WA 0812 3456 7890", "whatsapp", "+6281234567890"),
    ("WhatsApp only: +62 812 3456 7890", "whatsapp", "+6281234567890"),
    ("wa admin: 0812-3456-7890", "whatsapp", "+6281234567890"),
    ("message us on What'sApp: +1 (415) 555-0134", "whatsapp", "+14155550134"),
    (
        "\uff37\uff21 \uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",
        "whatsapp",
        "+6281234567890",
    ),
]


@pytest.mark.parametrize(("text", "kind", "value"), PHONES)
def test_phone_spellings(text: str, kind: str, value: str) -> None:
    contacts = extract_contacts(text)
    assert [(c.kind, c.value) for c in contacts] == [(kind, value)]
    c = contacts[0]
    assert text[c.start : c.end] == c.text
    assert any(ch.isdigit() for ch in c.text)


NOT_PHONES = [
    "Gaji Rp 15.000.000 per bulan",
    "Experience 2012-2014 and 2015-2019",
    "Call us at 1 2 3",
    "Postcode 12345",
    "Salary $45,000 - $55,000",
]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_that_are_not_phones(text: str) -> None:
    assert [c for c in extract_contacts(text) if c.kind in ("phone", "whatsapp")] == []


OTHER_CONTACTS = [
    ("wa.me/6281234567890", "whatsapp", "+6281234567890", ("link",)),
    ("https://wa.me/081234567890?text=halo", "whatsapp", "+6281234567890", ("link",)),
    ("chat.whatsapp.com/AbCdEf", "whatsapp", "chat.whatsapp.com/abcdef", ("link", "group")),
    ("t.me/rekrut_kerja", "telegram", "@rekrut_kerja", ("link",)),
    ("telegram: @kerja_cepat", "telegram", "@kerja_cepat", ()),
    ("tg @loker_asia", "telegram", "@loker_asia", ()),
    ("line id: abc.def", "line", "abc.def", ()),
    ("ID LINE : budi88", "line", "budi88", ()),
    ("email Jo.Hn+jobs@GMail.com", "email", "john@gmail.com", ("free_mail",)),
    ("email hrd@yahoo.co.id", "email", "hrd@yahoo.co.id", ("free_mail",)),
    ("email jobs@acme-corp.co.id", "email", "jobs@acme-corp.co.id", ()),
    ("daftar di bit.ly/loker123", "url", "bit.ly/loker123", ("url_shortener",)),
    ("https://s.id/kerja", "url", "https://s.id/kerja", ("url_shortener",)),
    (
        "apply at https://careers.example.com/jobs/12.",
        "url",
        "https://careers.example.com/jobs/12",
        (),
    ),
    ("transfer ke BCA 1234567890 a.n. Budi", "bank_account", "BCA:1234567890", ()),
    ("no rek mandiri 123-456-7890", "bank_account", "ACCOUNT:1234567890", ()),
    ("DANA 081234567890", "ewallet", "DANA:081234567890", ()),
    ("BRI 0000-01-000123-50-1 a.n. Sari", "bank_account", "BRI:000001000123501", ()),
    ("daftar di pln-karir.my.id.", "url", "pln-karir.my.id", ("free_host",)),
    (
        "https://loker2026.blogspot.com/p/daftar",
        "url",
        "https://loker2026.blogspot.com/p/daftar",
        ("free_host",),
    ),
    ("isi forms.gle/AbC123", "url", "forms.gle/abc123", ("free_host", "form")),
    ("klik daftar.online57.my.id/a2", "url", "daftar.online57.my.id/a2", ("free_host",)),
    ("https://h7.daftar-segera.site/", "url", "https://h7.daftar-segera.site/", ("free_host",)),
    ("resmi di recruitment.pertamina.com", "url", "recruitment.pertamina.com", ()),
    ("OVO: 0812 3456 7890", "ewallet", "OVO:081234567890", ()),
]


@pytest.mark.parametrize(("text", "kind", "value", "flags"), OTHER_CONTACTS)
def test_other_contacts(text: str, kind: str, value: str, flags: tuple[str, ...]) -> None:
    contacts = extract_contacts(text)
    assert contacts, text
    c = contacts[0]
    assert (c.kind, c.value, c.flags) == (kind, value, flags)
    assert text[c.start : c.end] == c.text


@pytest.mark.parametrize(
    "text",
    [
        "Skills: ASP.NET, VB.net and SQL.",
        "Keeping the store tidy.Space to grow.",  # sentences run together
        "Deadline :14 April 2025",
        "Apply before the deadline: 31 May",
    ],
)
def test_words_that_look_like_addresses_are_not_contacts(text: str) -> None:
    assert [c for c in extract_contacts(text) if c.kind in ("url", "line")] == []


def test_line_manager_is_not_a_line_id() -> None:
    assert extract_contacts("Reports to the line manager: operations") == []


def test_contacts_found_through_evasion_with_original_spans() -> None:
    text = "Hub W\u200bh\u0430tsApp \uff10\uff18\uff11\uff12-3456-7890 atau t.me/j0hn_b0t"
    contacts = extract_contacts(text)
    assert [(c.kind, c.value) for c in contacts] == [
        ("whatsapp", "+6281234567890"),
        ("telegram", "@j0hn_b0t"),
    ]
    for c in contacts:
        assert text[c.start : c.end] == c.text


AMOUNTS = [
    # (text, value, currency, period, monthly_usd)
    ("Gaji Rp 15.000.000", 15_000_000, "IDR", None, 937.5),
    ("gaji Rp15jt/bulan", 15_000_000, "IDR", "month", 937.5),
    ("gaji 15 juta per bulan", 15_000_000, "IDR", "month", 937.5),
    ("gaji 8-12 jt", 12_000_000, "IDR", None, 750.0),
    ("gaji 8\u201312 jt", 12_000_000, "IDR", None, 750.0),
    ("gaji 4,5 juta", 4_500_000, "IDR", None, 281.25),
    ("uang makan 50rb/hari", 50_000, "IDR", "day", 68.75),
    ("gaji belasan juta", 11_000_000, "IDR", None, 687.5),
    ("USD1.200 per month", 1200, "USD", "month", 1200.0),
    ("$1,200/month", 1200, "USD", "month", 1200.0),
    ("Earn $500/day", 500, "USD", "day", 11000.0),
    ("1200 USD per bulan", 1200, "USD", "month", 1200.0),
    ("$18 per hour", 18, "USD", "hour", 3114.0),
    ("$45,000 a year", 45_000, "USD", "year", 3750.0),
    ("$60,000", 60_000, "USD", None, 5000.0),
    ("RM 3000 sebulan", 3000, "MYR", "month", 666.67),
    ("THB 25,000 monthly", 25_000, "THB", "month", 714.29),
    ("NT$ 30,000", 30_000, "TWD", None, 937.5),
    ("HK$ 4,990", 4990, "HKD", None, 639.74),
    ("SGD 2,500/month", 2500, "SGD", "month", 1851.85),
    ("salary 1500 ringgit", 1500, "MYR", None, 333.33),
    ("\u00a3300 per week", 300, "GBP", "week", 1649.3),
]


@pytest.mark.parametrize(("text", "value", "currency", "period", "monthly"), AMOUNTS)
def test_amounts(
    text: str, value: float, currency: str, period: str | None, monthly: float
) -> None:
    amounts = extract_amounts(text)
    assert len(amounts) == 1, amounts
    a = amounts[0]
    assert (a.value, a.currency, a.period) == (value, currency, period)
    assert a.monthly_usd == pytest.approx(monthly, rel=0.01)
    assert text[a.start : a.end] == a.text


def test_no_amounts_in_plain_numbers() -> None:
    assert extract_amounts("We have 15 offices and 2,000 staff since 1999.") == []


DESTINATIONS = [
    ("Kerja di Kamboja", "Cambodia", "KH", True),
    ("office in Sihanoukville", "Sihanoukville", "KH", True),
    ("lokasi Phnom Penh", "Phnom Penh", "KH", True),
    ("di Myawaddy", "Myawaddy", "MM", True),
    ("Shwe Kokko project", "Shwe Kokko", "MM", True),
    ("segitiga emas", "Golden Triangle", "LA", True),
    ("kerja di Laos", "Laos", "LA", True),
    ("Jepang", "Japan", "JP", False),
    ("Korea Selatan", "South Korea", "KR", False),
    ("Arab Saudi", "Saudi Arabia", "SA", False),
    ("Dubai", "United Arab Emirates", "AE", False),
    ("Turki", "Turkey", "TR", False),
    ("Hong Kong", "Hong Kong", "HK", False),
    ("Taiwan", "Taiwan", "TW", False),
    ("Malaysia", "Malaysia", "MY", False),
    ("Bangkok", "Bangkok", "TH", False),
]


@pytest.mark.parametrize(("text", "name", "country", "risky"), DESTINATIONS)
def test_destinations(text: str, name: str, country: str, risky: bool) -> None:
    found = extract_destinations(text)
    assert [(d.name, d.country, d.risky) for d in found] == [(name, country, risky)]
    assert text[found[0].start : found[0].end] == found[0].text


def test_destination_through_homoglyphs() -> None:
    text = "kerja di K\u0430mb\u043ej\u0430"
    (d,) = extract_destinations(text)
    assert d.risky and text[d.start : d.end] == "K\u0430mb\u043ej\u0430"


def test_place_names_inside_words_are_not_destinations() -> None:
    assert extract_destinations("Laoshan tea, Omani-style Thailandia restaurant") == []


LANGUAGES = [
    ("Dicari karyawati untuk kerja di Kamboja, gaji 15jt, hub wa 0812", "id"),
    ("Loker admin, gaji 8jt, minat japri kak", "id"),
    ("Lowongan kerja luar negeri Taiwan, syarat mudah", "id"),
    ("Sila hubungi kami untuk jawatan kosong di syarikat kami, gaji bulanan RM3000", "ms"),
    ("We are hiring a marketing intern for our team in New York", "en"),
    ("Hello there, we are hiring", "en"),
    ("Nous recherchons un vendeur pour notre magasin a Paris, contactez-nous vite", "fr"),
    ("Wir suchen einen Verkaufer fur unser Geschaft in Berlin, bitte bewerben", "de"),
    ("ok", "und"),
    ("", "und"),
    ("0812 3456 7890", "und"),
]


@pytest.mark.parametrize(("text", "lang"), LANGUAGES)
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_normalized_input_is_accepted_and_equivalent() -> None:
    text = "Hub WA 0812-3456-7890, gaji Rp 10 juta di Kamboja"
    n = normalize(text)
    assert extract_contacts(n) == extract_contacts(text)
    assert extract_amounts(n) == extract_amounts(text)
    assert extract_destinations(n) == extract_destinations(text)
    assert detect_language(n) == detect_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "wa 0812 " * 125_000,
        "a@b.cc " * 140_000,
        "Rp 1.000.000 " * 75_000,
        "kamboja " * 125_000,
        "1-2-3-4-5-" * 100_000,
        "https://" + "a" * 999_000,
    ],
)
def test_hostile_extraction_is_fast_and_bounded(text: str) -> None:
    detect_language("xq zv")  # loads the language model once; that is not per-ad time
    t0 = time.perf_counter()
    n = normalize(text)
    contacts = extract_contacts(n)
    amounts = extract_amounts(n)
    places = extract_destinations(n)
    detect_language(n)
    assert time.perf_counter() - t0 < 1.0
    assert max(len(contacts), len(amounts), len(places)) <= MAX_ITEMS


# Phone numbers are checked and formatted by phonenumbers (region ID by default, E.164 out):
# one number written several ways gives one value, so rules, features and network keys agree.
@pytest.mark.parametrize(
    "text",
    [
        "hub 0812-3456-7890",
        "hub +62 812 3456 7890",
        "hub 6281234567890",
        "hub 0812 3456 7890",
        "hub 0812.3456.7890",
        "hub (+62) 812-3456-7890",
        "wa.me/6281234567890",
        "WA 081234567890",
    ],
)
def test_indonesian_mobile_written_many_ways_is_one_value(text):
    (c,) = [c for c in extract_contacts(text) if c.kind in ("phone", "whatsapp")]
    assert c.value == "+6281234567890"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("WA +855 12 345 678", "+85512345678"),  # Cambodia
        ("WhatsApp +60 12-345 6789", "+60123456789"),  # Malaysia
        ("call +66 81 234 5678", "+66812345678"),  # Thailand
        ("Viber +63 917 123 4567", "+639171234567"),  # Philippines
        ("Zalo +84 91 234 5678", "+84912345678"),  # Vietnam
        ("WA +971 50 123 4567", "+971501234567"),  # United Arab Emirates
    ],
)
def test_foreign_mobile_numbers_are_e164_and_mobile(text, value):
    (c,) = [c for c in extract_contacts(text) if c.kind in ("phone", "whatsapp")]
    assert c.value == value
    assert "mobile" in c.flags


def test_whatsapp_word_and_link_keep_kind():
    kinds = {c.kind for c in extract_contacts("WA 0812 3456 7890 atau wa.me/6281234567891")}
    assert kinds == {"whatsapp"}


def test_number_no_numbering_plan_allows_is_not_a_phone():
    # "00501265378" reads as +501 265378 (Belize), a length no numbering plan allows.
    assert [c for c in extract_contacts("call 00501265378 now") if c.kind == "phone"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kerja pabrik di Belanda, gaji euro", [("Netherlands", "NL", False)]),
        ("Lowongan ke Mesir dan Perancis", [("Egypt", "EG", False), ("France", "FR", False)]),
        ("offices in Noida, India", [("India", "IN", False)]),
        ("Kingdom of Cambodia visa provided", [("Cambodia", "KH", True)]),
        ("Federasi Rusia, kontrak 2 tahun", [("Russian Federation", "RU", False)]),
    ],
)
def test_iso_countries_in_english_and_indonesian(
    text: str, expected: list[tuple[str, str, bool]]
) -> None:
    found = [(d.name, d.country, d.risky) for d in extract_destinations(text)]
    assert found == expected


def test_country_names_that_are_common_words_are_not_destinations() -> None:
    text = "Chad and Jordan from the Jersey office; sambal chili; cuba dulu"
    assert extract_destinations(text) == []
