"""`manage.py aoty_parse <album|search|grid|list|user|lists|similar|stats|credits> <file>`: a saved page as JSON.

A maintenance aid for when AOTY changes its markup: run it on a freshly saved page and see what
the pure parser makes of it.
"""
import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations.aoty import parser
from integrations.aoty.errors import AotyParseError


def _parse_list(html: str):
    """A ranked publication list, or else the year-end lists index (both are "lists" on AOTY)."""
    try:
        return parser.parse_publication_list(html)
    except AotyParseError:
        return parser.parse_list_index(html)


PARSERS = {
    "album": parser.parse_album_page,
    "search": parser.parse_search_page,
    "grid": parser.parse_album_grid,
    "list": _parse_list,
    "user": parser.parse_user_profile,
    "lists": parser.parse_list_index,
    "similar": parser.parse_similar_page,
    "stats": parser.parse_album_stats,
    "credits": parser.parse_album_credits,
}


class Command(BaseCommand):
    help = "Print the pure parser's result for a saved AOTY page as JSON."

    def add_arguments(self, parser_):
        parser_.add_argument("kind", choices=sorted(PARSERS))
        parser_.add_argument("file")

    def handle(self, *args, kind: str, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            result = PARSERS[kind](path.read_text(encoding="utf-8", errors="replace"))
        except AotyParseError as exc:
            raise CommandError(f"Not recognised as a {kind} page: {exc}")
        data = [asdict(item) for item in result] if isinstance(result, list) else asdict(result)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))
