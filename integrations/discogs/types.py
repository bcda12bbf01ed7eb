"""Typed Discogs objects: the client returns these, never raw JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# The Discogs grading scale, best first. Ranks compare conditions ("at least VG+").
CONDITIONS: list[tuple[str, str]] = [
    ("M", "Mint (M)"),
    ("NM", "Near Mint (NM or M-)"),
    ("VG+", "Very Good Plus (VG+)"),
    ("VG", "Very Good (VG)"),
    ("G+", "Good Plus (G+)"),
    ("G", "Good (G)"),
    ("F", "Fair (F)"),
    ("P", "Poor (P)"),
]
CONDITION_CODES = [code for code, _ in CONDITIONS]
CONDITION_LABELS = dict(CONDITIONS)
_LABEL_TO_CODE = {label.lower(): code for code, label in CONDITIONS}
_ABBREVIATIONS = {"m": "M", "nm or m-": "NM", "nm": "NM", "m-": "NM", "vg+": "VG+", "vg": "VG", "g+": "G+", "g": "G",
                  "f": "F", "p": "P"}


def condition_code(text: str | None) -> str:
    """'Very Good Plus (VG+)' or 'VG+' -> 'VG+'; '' when it is not a grade (Generic, Not Graded...)."""
    if not text:
        return ""
    value = text.strip().lower()
    if value in _LABEL_TO_CODE:
        return _LABEL_TO_CODE[value]
    if "(" in value and value.endswith(")"):
        value = value[value.rindex("(") + 1:-1].strip()
    return _ABBREVIATIONS.get(value, "")


def condition_rank(code: str) -> int:
    """0 for Mint ... 7 for Poor; 99 for ungraded (never "at least" anything)."""
    try:
        return CONDITION_CODES.index(code)
    except ValueError:
        return 99


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int
    per_page: int
    items: int

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class SearchResult:
    id: int
    type: str
    title: str
    year: str = ""
    country: str = ""
    formats: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    catno: str = ""
    barcodes: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    thumb: str = ""
    master_id: int | None = None
    in_collection: bool | None = None
    in_wantlist: bool | None = None
    community_have: int | None = None
    community_want: int | None = None

    @property
    def artist(self) -> str:
        return self.title.split(" - ", 1)[0] if " - " in self.title else ""

    @property
    def release_title(self) -> str:
        return self.title.split(" - ", 1)[1] if " - " in self.title else self.title


@dataclass(frozen=True)
class SearchPage:
    pagination: Pagination
    results: list[SearchResult]


@dataclass(frozen=True)
class Release:
    id: int
    title: str
    artists: tuple[str, ...]
    year: int | None = None
    country: str = ""
    formats: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    catnos: tuple[str, ...] = ()
    barcodes: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    master_id: int | None = None
    thumb: str = ""
    lowest_price: Decimal | None = None
    num_for_sale: int | None = None
    uri: str = ""

    @property
    def artist(self) -> str:
        return ", ".join(self.artists)


@dataclass(frozen=True)
class Master:
    id: int
    title: str
    artists: tuple[str, ...]
    year: int | None = None
    main_release: int | None = None
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MasterVersion:
    id: int
    title: str
    format: str = ""
    label: str = ""
    catno: str = ""
    country: str = ""
    released: str = ""
    thumb: str = ""


@dataclass(frozen=True)
class VersionsPage:
    pagination: Pagination
    versions: list[MasterVersion]


@dataclass(frozen=True)
class CollectionItem:
    """One release in a user's collection or want list (basic_information)."""

    release_id: int
    title: str
    artists: tuple[str, ...]
    year: int | None = None
    formats: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    catnos: tuple[str, ...] = ()
    thumb: str = ""
    date_added: str = ""
    instance_id: int | None = None

    @property
    def artist(self) -> str:
        return ", ".join(self.artists)


@dataclass(frozen=True)
class CollectionPage:
    pagination: Pagination
    items: list[CollectionItem]


@dataclass(frozen=True)
class PriceSuggestions:
    """Suggested price per condition code (M, NM, VG+...), one currency."""

    release_id: int
    currency: str
    by_condition: dict[str, Decimal] = field(default_factory=dict)

    def for_condition(self, code: str) -> Decimal | None:
        return self.by_condition.get(code)


@dataclass(frozen=True)
class MarketStats:
    release_id: int
    num_for_sale: int | None
    lowest_price: Decimal | None
    currency: str = ""
    blocked_from_sale: bool = False


@dataclass(frozen=True)
class Identity:
    id: int
    username: str


@dataclass(frozen=True)
class MarketListing:
    """A marketplace listing, read from the public /sell pages."""

    listing_id: str
    release_id: int | None
    title: str
    artist: str
    price: Decimal
    currency: str
    media_condition: str = ""
    sleeve_condition: str = ""
    shipping: Decimal | None = None
    seller: str = ""
    seller_rating: Decimal | None = None  # positive feedback, percent
    seller_ratings_count: int | None = None
    ships_from: str = ""
    format: str = ""
    label: str = ""
    catno: str = ""
    url: str = ""
    thumb: str = ""
