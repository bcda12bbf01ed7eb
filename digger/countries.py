"""Country names as marketplaces write them, reduced to ISO 3166 alpha-2 codes.

Discogs writes "United States" or "Germany"; eBay writes "US" or "DE". The cart's allow and block
lists and the duty rates are keyed on the code, so both must reduce to it. Only the countries that
ship records in any number are named here; an unknown name gives "" (it never matches an allow list).
"""
from __future__ import annotations

import re

from .scoring import EU

NAMES = {
    "argentina": "AR", "australia": "AU", "austria": "AT", "belgium": "BE", "brazil": "BR", "bulgaria": "BG",
    "canada": "CA", "chile": "CL", "china": "CN", "colombia": "CO", "croatia": "HR", "cyprus": "CY",
    "czech republic": "CZ", "czechia": "CZ", "denmark": "DK", "estonia": "EE", "finland": "FI", "france": "FR",
    "germany": "DE", "greece": "GR", "hong kong": "HK", "hungary": "HU", "iceland": "IS", "india": "IN",
    "indonesia": "ID", "ireland": "IE", "israel": "IL", "italy": "IT", "japan": "JP", "latvia": "LV",
    "lithuania": "LT", "luxembourg": "LU", "malaysia": "MY", "malta": "MT", "mexico": "MX", "netherlands": "NL",
    "new zealand": "NZ", "norway": "NO", "peru": "PE", "philippines": "PH", "poland": "PL", "portugal": "PT",
    "romania": "RO", "russia": "RU", "serbia": "RS", "singapore": "SG", "slovakia": "SK", "slovenia": "SI",
    "south africa": "ZA", "south korea": "KR", "korea, republic of": "KR", "spain": "ES", "sweden": "SE",
    "switzerland": "CH", "taiwan": "TW", "thailand": "TH", "turkey": "TR", "ukraine": "UA",
    "united kingdom": "GB", "uk": "GB", "united states": "US", "usa": "US", "uruguay": "UY",
}
ALIASES = {"UK": "GB"}
KNOWN = set(NAMES.values()) | EU


def is_known(code: str) -> bool:
    """A two-letter code this module can match sellers against (what a user may put in a list)."""
    upper = code.strip().upper()
    return upper == "EU" or ALIASES.get(upper, upper) in KNOWN


def country_code(value: str) -> str:
    """'Germany' or 'de' -> 'DE'; 'UK' -> 'GB'; '' when the name is not known."""
    text = (value or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", text):
        code = text.upper()
        return ALIASES.get(code, code)
    return NAMES.get(text.lower(), "")


def expand_codes(codes: list[str]) -> set[str]:
    """A user's country list as ISO codes; 'EU' stands for every member state."""
    result: set[str] = set()
    for code in codes:
        upper = code.strip().upper()
        if upper == "EU":
            result |= EU
        elif upper:
            result.add(ALIASES.get(upper, upper))
    return result
