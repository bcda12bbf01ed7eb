"""Small files of an item (the taper's info .txt, Essentia descriptor files), fetched whole with a size cap.

It reuses the archive client, so the base URL, timeouts, User-Agent, rate spacing and error types are the
client's. A file over the cap is refused before or while it is read, never stored in memory whole.
"""
from __future__ import annotations

from integrations.errors import PermanentError

from .client import InternetArchiveClient

MAX_BYTES = 1024 * 1024  # 1 MB: an info file is a few KB; anything this big is not one
TEXT_EXTENSIONS = ("txt", "nfo", "info")


class FileTooLarge(PermanentError):
    """The file is over the cap; it was not fetched (or reading stopped at the cap)."""


def fetch_small_file(identifier: str, name: str, *, max_bytes: int = MAX_BYTES,
                     client: InternetArchiveClient | None = None) -> bytes:
    """The bytes of one of an item's files, at most `max_bytes`; FileTooLarge past that."""
    own = client is None
    archive = client or InternetArchiveClient()
    try:
        with archive.open_file(identifier, name) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FileTooLarge(f"{name} is {declared} bytes, over the {max_bytes}-byte cap",
                                   service="internet_archive")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(f"{name} is over the {max_bytes}-byte cap", service="internet_archive")
                chunks.append(chunk)
            return b"".join(chunks)
    finally:
        if own:
            archive.close()


def fetch_text_file(identifier: str, name: str, *, max_bytes: int = MAX_BYTES,
                    client: InternetArchiveClient | None = None) -> str:
    """A small text file decoded as UTF-8 (Latin-1 when it is not UTF-8, as old info files often are)."""
    data = fetch_small_file(identifier, name, max_bytes=max_bytes, client=client)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def is_info_file(name: str, *, size: int | None, max_bytes: int = MAX_BYTES) -> bool:
    """A taper's info file: a .txt (or .nfo) at most `max_bytes` (size unknown counts: the fetch enforces the cap)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return extension in TEXT_EXTENSIONS and (size is None or size <= max_bytes)
