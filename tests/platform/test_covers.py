"""Generated cover placeholders: initials on a colour that depends only on the key."""
import io
import subprocess
import sys

import pytest
from PIL import Image

from common.covers import placeholder_colour, placeholder_initials, placeholder_png, placeholder_svg


def test_placeholder_colour_is_stable_across_processes():
    # Python's hash() is salted per process; the colour must not be.
    code = "from common.covers import placeholder_colour; print(placeholder_colour('album:42'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == str(placeholder_colour("album:42"))


def test_placeholder_colour_differs_between_keys():
    colours = {placeholder_colour(f"album:{i}") for i in range(50)}
    assert len(colours) > 40


@pytest.mark.parametrize(
    ("title", "expected"),
    [("The Dark Side of the Moon", "DS"), ("Blonde", "B"), ("the", "T"), ("A Love Supreme", "LS"), ("", "?"), ("!!!", "?"), ("éclair noir", "ÉN")],
)
def test_placeholder_initials_skip_articles(title, expected):
    assert placeholder_initials(title) == expected


def test_placeholder_svg_shows_initials_on_key_colour():
    svg = placeholder_svg(key="album:7", title="Kid A")
    r, g, b = placeholder_colour("album:7")
    assert svg.startswith("<svg") and f'fill="#{r:02x}{g:02x}{b:02x}"' in svg
    assert ">KA</text>" in svg


def test_placeholder_svg_escapes_title():
    svg = placeholder_svg(key="k", title='<script>alert("x")</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_placeholder_png_is_square_png_on_key_colour():
    data = placeholder_png(key="album:7", title="Kid A", size=120)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (120, 120)
    assert image.convert("RGB").getpixel((2, 2)) == placeholder_colour("album:7")
    # The initials are drawn: some pixels in the middle are white-ish.
    centre = image.convert("RGB").crop((30, 30, 90, 90))
    assert all(high > 200 for _, high in centre.getextrema())


def test_placeholder_png_is_deterministic():
    assert placeholder_png(key="x", title="Y") == placeholder_png(key="x", title="Y")


@pytest.mark.parametrize("size", [0, -1, 5000])
def test_placeholder_png_rejects_bad_size(size):
    with pytest.raises(ValueError):
        placeholder_png(key="x", title="Y", size=size)
