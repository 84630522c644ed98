"""The impersonated-organisations registry and the impersonation findings built on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detector.rules import analyze
from detector.rules.organisations import DEFAULT_ORG_PATH, KINDS, OrganisationError
from detector.rules.organisations_file import load_organisations, organisations_from_toml

ORGS = load_organisations()
HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")


def test_registry_is_large_and_complete() -> None:
    assert len(ORGS) >= 80
    kinds = {o.kind for o in ORGS.organisations}
    assert kinds <= set(KINDS) and {"bumn", "government", "private", "international"} <= kinds
    for o in ORGS.organisations:
        assert o.domains, o.id
        assert o.source.strip() and "http" in o.source, o.id
        assert all(HOST.match(d) for d in o.domains + o.portals), o.id
        assert all(o.is_official_host(p) for p in o.portals), o.id
        assert o.official_channels, o.id


def test_aliases_are_unique_and_lower_case() -> None:
    seen: dict[str, str] = {}
    for o in ORGS.organisations:
        for a in o.aliases + o.context_aliases:
            assert a == a.lower().strip() and len(a) >= 3, (o.id, a)
            assert a not in seen, (a, seen.get(a), o.id)
            seen[a] = o.id


def test_indonesia_first_and_the_joint_bumn_portal() -> None:
    ids = {o.id for o in ORGS.organisations}
    for must in ("pertamina", "pln", "kai", "telkom", "bri", "bni", "mandiri", "indomaret",
                 "alfamart", "djarum", "kemnaker", "kemenkes", "bnn", "bps", "kemendes", "bgn",
                 "kp2mi", "amazon", "un", "emirates", "shell"):  # fmt: skip
        assert must in ids, must
    assert "rekrutmenbersama.fhcibumn.id" in ORGS["pln"].official_channels
    assert ORGS["kemnaker"].is_official_host("karirhub.kemnaker.go.id")
    assert ORGS["bps"].is_official_host("sensus.bps.go.id")  # sub-domains count
    assert not ORGS["pln"].is_official_host("pln-karir.my.id")
    assert not ORGS["pertamina"].is_official_host("pertamina.com.rekrutmen.blogspot.com")


MINIMAL = """
[[organisation]]
id = "acme"
name = "Acme"
kind = "private"
aliases = ["acme corp"]
domains = ["acme.example"]
portals = []
source = "https://acme.example/careers"
"""


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('domains = ["acme.example"]', "domains = []"), "needs at least one official domain"),
        (('domains = ["acme.example"]', 'domains = ["acme example"]'), "not a host name"),
        (('source = "https://acme.example/careers"', 'source = "their site"'), "official URL"),
        (('kind = "private"', 'kind = "startup"'), "kind must be one of"),
        (('aliases = ["acme corp"]', 'aliases = ["Acme Corp"]'), "lower-case"),
        (("portals = []", 'portals = ["jobs.other.example"]'), "not under its domains"),
        (("portals = []", 'portals = []\nlogo = "x"'), "unknown key"),
    ],
)
def test_validation_names_the_entry(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = tmp_path / "orgs.toml"
    path.write_text(MINIMAL.replace(*edit), encoding="utf-8")
    with pytest.raises(OrganisationError, match=message) as err:
        load_organisations(path)
    assert "'acme'" in str(err.value)


def test_alias_used_twice_is_refused(tmp_path: Path) -> None:
    other = MINIMAL.replace('id = "acme"', 'id = "acme2"').replace("acme.example", "b.example")
    with pytest.raises(OrganisationError, match="already used by 'acme'"):
        organisations_from_toml((MINIMAL + other).encode())


def test_shipped_file_loads_and_is_cached() -> None:
    assert load_organisations() is ORGS
    assert load_organisations(DEFAULT_ORG_PATH).fingerprint == ORGS.fingerprint


def _impersonation(text: str) -> list[str]:
    return [
        f.text for f in analyze(text).findings if f.rule_id == "impersonation_unofficial_channel"
    ]


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("Rekrutmen PT Pertamina (Persero) 2026! Daftar: https://rekrutmen-bumn2026.blogspot.com",
         "PT Pertamina"),
        ("Lowongan PLN untuk lulusan SMA, formulir di pln-karir.my.id", "PLN"),
        ("Loker Alfamart semua cabang. Pendaftaran klik link di bio!", "Alfamart"),
        ("Penerimaan petugas BPS 2026, kirim berkas ke WA 0812 0000 1201", "BPS"),
        ("Kemenkes membuka rekrutmen nakes, isi forms.gle/AbCdEf", "Kemenkes"),
        ("Telkom Indonesia hiring, send your CV to telkom.recruitment@gmail.com",
         "Telkom Indonesia"),
        ("Saya agen TikTok, cari mitra kerja paruh waktu. Chat WhatsApp 0812 0000 1202", "TikTok"),
        ("Amazon is hiring remote staff, apply at https://bit.ly/amz-job", "Amazon"),
        ("LOWONGAN KERJA BUMN PT PLN 2026, daftar https://pln-bumn.my.id", "PT PLN"),
        ("Lowongan BUMN 2026 semua posisi, daftar di bumn-karir.blogspot.com", "Lowongan BUMN"),
    ],
)  # fmt: skip
def test_impersonation_names_the_organisation(text: str, org: str) -> None:
    assert _impersonation(text) == [org]


@pytest.mark.parametrize(
    "text",
    [
        "Rekrutmen PT Pertamina 2026, daftar hanya di https://recruitment.pertamina.com",
        "Lowongan PLN melalui rekrutmenbersama.fhcibumn.id",
        "Lowongan BPS: pendaftaran di https://mitra.bps.go.id",
        "Amazon is hiring: apply on https://www.amazon.jobs/en/jobs/123",
        "Lowongan Alfamart, lamar melalui https://www.jobstreet.co.id/job/1",
        "Dicari admin untuk jualan di TikTok Shop, hub WA 0812 0000 1203",
        "Gaji ditransfer ke rekening BRI. Hub 0812 0000 1204",
        "Syarat: surat sehat dari puskesmas. Hub 0812 0000 1205",
        "Benefit: BPJS Kesehatan dan BPJS Ketenagakerjaan. Hub WA 0812 0000 1206",
        "P3MI berizin, SIP3MI No. 000/KP2MI/2024. Tanya via WA 0812 0000 1207",
        "Clients include Google, Microsoft and Unilever. Send your CV to jobs@agency.example",
        "Skills: Microsoft Office, Google Analytics. Apply at https://bit.ly/our-form",
    ],
)
def test_no_impersonation_for_official_or_incidental_names(text: str) -> None:
    assert _impersonation(text) == []


def test_the_finding_gives_the_official_channel_in_both_languages() -> None:
    text = "REKRUTMEN PT Pertamina 2026, daftar di pertamina-karir.my.id"
    (f,) = [f for f in analyze(text).findings if f.category == "impersonation"]
    assert "pertamina-karir.my.id" in f.why_en and "pertamina-karir.my.id" in f.why_id
    assert "PT Pertamina (Persero) recruits only through recruitment.pertamina.com" in f.why_en
    assert "PT Pertamina (Persero) hanya merekrut melalui recruitment.pertamina.com" in f.why_id
    assert "rekrutmenbersama.fhcibumn.id" in f.why_en
    assert text[f.start : f.end] == f.text == "PT Pertamina"


def test_named_employer_without_any_channel_is_a_weak_advisory() -> None:
    (f,) = [
        f
        for f in analyze("Lowongan kerja Pos Indonesia 2026 semua cabang, gaji 4 juta").findings
        if f.category == "impersonation"
    ]
    assert f.rule_id == "impersonation_no_channel" and f.weight < 0.3
    assert "posindonesia.co.id" in f.why_id
