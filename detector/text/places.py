"""Destinations: countries and cities named in an ad, in English and Indonesian, and which of
them are known trafficking and scam-compound routes.
"""

from __future__ import annotations

from functools import lru_cache

import re2

from detector.schema import Destination
from detector.text.normalize import Normalized, normalize
from detector.text.patterns import Pattern, hits

from .textbytes import MAX_ITEMS, as_text, words

# ---------------------------------------------------------------------------------------------
# destinations

#: name as written (normalised) -> (canonical English name, ISO 3166 alpha-2, risky)
_PLACES: dict[str, tuple[str, str, bool]] = {}


def _place(names: str, canonical: str, country: str, risky: bool = False) -> None:
    for name in names.split("|"):
        _PLACES[name] = (canonical, country, risky)


# Risky: not official placement countries for Indonesian workers / scam-compound hubs.
_place("cambodia|kamboja|kampuchea", "Cambodia", "KH", True)
_place("myanmar|burma|birma", "Myanmar", "MM", True)
_place("laos|lao pdr", "Laos", "LA", True)
_place("sihanoukville|sihanouk|preah sihanouk|kampong som", "Sihanoukville", "KH", True)
_place("phnom penh|pnom penh|phnompenh", "Phnom Penh", "KH", True)
_place("poipet|poi pet", "Poipet", "KH", True)
_place("bavet", "Bavet", "KH", True)
_place("siem reap", "Siem Reap", "KH", True)
_place("myawaddy|myawadi|myawaddi", "Myawaddy", "MM", True)
_place("shwe kokko|shwekokko|kk park", "Shwe Kokko", "MM", True)
_place("tachileik|tachilek", "Tachileik", "MM", True)
_place("golden triangle|segitiga emas", "Golden Triangle", "LA", True)
_place("bokeo|boten", "Bokeo", "LA", True)
_place("mae sot|maesot", "Mae Sot", "TH", True)
_place("yangon|rangoon", "Yangon", "MM", True)
_place("vientiane", "Vientiane", "LA", True)
# Other destinations (not risky by themselves).
_place("thailand|thailan|muangthai|siam", "Thailand", "TH")
_place("bangkok", "Bangkok", "TH")
_place("malaysia|malaysa|negeri jiran", "Malaysia", "MY")
_place("kuala lumpur|johor|penang|sabah|sarawak|selangor", "Malaysia", "MY")
_place("singapore|singapura", "Singapore", "SG")
_place("taiwan|taipei|taichung|kaohsiung", "Taiwan", "TW")
_place("hong kong|hongkong", "Hong Kong", "HK")
_place("macau|macao|makau", "Macau", "MO")
_place("japan|jepang|tokyo|osaka", "Japan", "JP")
_place("south korea|korea selatan|korsel|korea|seoul|busan", "South Korea", "KR")
_place(
    "saudi arabia|arab saudi|saudi|riyadh|jeddah|jedah|mekkah|makkah|madinah", "Saudi Arabia", "SA"
)
_place(
    "dubai|abu dhabi|united arab emirates|uni emirat arab|uea|uae|emirates",
    "United Arab Emirates",
    "AE",
)
_place("qatar|doha", "Qatar", "QA")
_place("kuwait", "Kuwait", "KW")
_place("oman|bahrain|yordania", "Middle East", "XM")
_place("timur tengah|middle east|persian gulf|arabian gulf", "Middle East", "XM")
_place("turkey|turki|turkiye|istanbul", "Turkey", "TR")
_place("vietnam|viet nam|ho chi minh|hanoi|da nang|danang", "Vietnam", "VN")
_place("philippines|filipina|manila|cebu|makati|pasay|pampanga|paranaque", "Philippines", "PH")
_place("china|tiongkok|cina|shenzhen|guangzhou", "China", "CN")
_place("brunei", "Brunei", "BN")
_place("australia|australi", "Australia", "AU")
_place("new zealand|selandia baru", "New Zealand", "NZ")
_place("poland|polandia", "Poland", "PL")
_place("germany|jerman", "Germany", "DE")
_place("united kingdom|inggris|london", "United Kingdom", "GB")
_place("canada|kanada", "Canada", "CA")
_place("united states|amerika serikat|usa", "United States", "US")
_place("indonesia", "Indonesia", "ID")
_place("jakarta|surabaya|bandung|medan|batam|semarang|yogyakarta|bali|makassar", "Indonesia", "ID")

#: ISO country names that are also words or given names an ad uses for something else
#: ("chad", "jordan", "jersey", "niger", Malay "cuba" = try, "chili" on a menu).
_NOT_PLACES = words(
    "chad jordan georgia jersey guinea niger chili chile mali cuba kuba samoa dominica "
    "grenada guernsey iran israel monaco togo niue sudan"
)


def _iso_countries() -> dict[str, tuple[str, str, bool]]:
    """Every ISO 3166 country by its English names and its Indonesian name (pycountry's
    database and its ``id`` translations ship in the wheel; nothing is downloaded).

    A country the hand list above knows keeps that list's canonical name and risk; the hand
    list's Indonesian spellings, cities and regions stay as they are.
    """
    import gettext

    import pycountry

    own: dict[str, tuple[str, bool]] = {}
    for canonical, country, risky in _PLACES.values():
        own.setdefault(country, (canonical, risky))
    indonesian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    out: dict[str, tuple[str, str, bool]] = {}
    for c in pycountry.countries:
        english = [c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)]
        canonical, risky = own.get(c.alpha_2, (english[1], False))
        for written in (*english, *(indonesian.gettext(e) for e in english)):
            if "," in written or "(" in written:  # "Korea, Republic of": an index form
                continue
            name = normalize(written).text.strip()
            if name and name not in _PLACES and name not in _NOT_PLACES:
                out.setdefault(name, (canonical, c.alpha_2, risky))
    return out


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, tuple[str, str, bool]], Pattern]:
    """The hand list plus the ISO countries, and one RE2 pattern over all their names (built
    on first use: reading pycountry costs ~60 ms)."""
    places = {**_iso_countries(), **_PLACES}
    pattern = re2.compile(
        rb"\b("
        + b"|".join(re2.escape(k.encode()) for k in sorted(places, key=len, reverse=True))
        + rb")\b"
    )
    return places, pattern


def place_names() -> frozenset[str]:
    """Every place name the destination finder knows, as written (normalised, lower case)."""
    return frozenset(_gazetteer()[0])


def extract_destinations(text: str | Normalized) -> list[Destination]:
    """Find countries and cities, with canonical English name and ISO country code.

    Parameters
    ----------
    text : str or Normalized
        The ad or its normalisation.

    Returns
    -------
    list of Destination
        In order of appearance; ``risky=True`` for Cambodia, Myanmar, Laos and known
        scam-compound areas (Sihanoukville, Poipet, Bavet, Myawaddy, Shwe Kokko, Golden
        Triangle, Mae Sot on the Thai side of the Myawaddy crossing, ...). City names give
        the city as ``name``; regions give the country.
    """
    t = as_text(text)
    places, pattern = _gazetteer()
    out: list[Destination] = []
    for m in hits(pattern, t.data, MAX_ITEMS):
        if len(out) >= MAX_ITEMS:
            break
        canonical, country, risky = places[m.group(1).decode()]
        os_, oe, orig = t.span(m.start(1), m.end(1))
        out.append(Destination(canonical, country, orig, os_, oe, risky))
    return out
