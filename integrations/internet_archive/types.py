"""Typed results of the Internet Archive client."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SearchDoc:
    """One item from advancedsearch or the scrape API (etree fields only)."""

    identifier: str
    title: str = ""
    creator: str = ""
    date: str = ""
    year: int | None = None
    venue: str = ""
    coverage: str = ""
    source: str = ""
    taper: str = ""
    transferer: str = ""
    lineage: str = ""
    formats: tuple[str, ...] = ()
    avg_rating: float | None = None
    num_reviews: int = 0
    downloads: int = 0
    addeddate: str = ""
    item_size: int = 0
    collections: tuple[str, ...] = ()

    @property
    def source_type(self) -> str:
        from .parser import classify_source

        return classify_source(identifier=self.identifier, title=self.title, source=self.source, lineage=self.lineage)


@dataclass(frozen=True)
class SearchPage:
    total: int
    start: int
    rows: int
    docs: list[SearchDoc]


@dataclass(frozen=True)
class ScrapePage:
    docs: list[SearchDoc]
    cursor: str | None
    total: int
    count: int


@dataclass(frozen=True)
class ItemFile:
    name: str
    format: str = ""
    source: str = ""
    size: int | None = None
    md5: str = ""
    sha1: str = ""
    length: float | None = None  # seconds
    title: str = ""
    creator: str = ""
    album: str = ""
    track: int | None = None
    original: str = ""
    bitrate: int | None = None
    private: bool = False

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    @property
    def directory(self) -> str:
        return self.name.rsplit("/", 1)[0] if "/" in self.name else ""

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Review:
    title: str
    body: str
    reviewer: str
    date: str
    stars: int | None


@dataclass(frozen=True)
class ItemMetadata:
    identifier: str
    title: str = ""
    creator: str = ""
    date: str = ""
    year: int | None = None
    venue: str = ""
    coverage: str = ""
    source: str = ""
    taper: str = ""
    transferer: str = ""
    lineage: str = ""
    notes: str = ""
    description: str = ""
    runtime: str = ""
    subject: str = ""
    addeddate: str = ""
    publicdate: str = ""
    mediatype: str = ""
    collections: tuple[str, ...] = ()
    files: list[ItemFile] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    server: str = ""
    dir: str = ""
    item_size: int | None = None

    @property
    def stream_only(self) -> bool:
        return "stream_only" in self.collections

    @property
    def source_type(self) -> str:
        from .parser import classify_source

        return classify_source(identifier=self.identifier, title=self.title, source=self.source, lineage=self.lineage)

    @property
    def avg_rating(self) -> float | None:
        stars = [r.stars for r in self.reviews if r.stars]
        return round(sum(stars) / len(stars), 2) if stars else None

    @property
    def num_reviews(self) -> int:
        return len([r for r in self.reviews if r.stars])

    def file(self, name: str) -> ItemFile | None:
        return next((f for f in self.files if f.name == name), None)
