"""Page forms. They only shape input; services validate and save (their InvalidInput lands on the field)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from common.exceptions import InvalidInput

from .fields import safe_date
from .models import BIO_MAX, LONG_TEXT_MAX, AlbumSeries, Collaboration, Pack, Status

STATUS_CHOICES = [(s.value, s.label) for s in Status]
PRIORITY_CHOICES = [(i, str(i)) for i in range(1, 6)]


class SafeDateFormField(forms.CharField):
    """A date input that turns "" and junk into None instead of a form error (the seed's SafeDateTime)."""

    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value: Any):
        return safe_date(value)


def apply_error(form: forms.Form, exc: InvalidInput) -> None:
    """Puts a service's InvalidInput on the matching form field (or the form) for re-rendering."""
    field = (exc.field or "").removesuffix("_id")
    form.add_error(field if field in form.fields else None, exc.detail)


class SongForm(forms.Form):
    title = forms.CharField(max_length=200)
    artist = forms.CharField(max_length=200)
    album = forms.CharField(max_length=200, required=False)
    year = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    status = forms.ChoiceField(choices=STATUS_CHOICES, initial=Status.FUTURE)
    priority = forms.TypedChoiceField(choices=PRIORITY_CHOICES, coerce=int, initial=3)
    pack = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    album_series = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    release_date = SafeDateFormField(required=False)
    notes = forms.CharField(required=False, max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    cover = forms.ImageField(required=False)
    clear_cover = forms.BooleanField(required=False)

    def __init__(self, *args: Any, packs: Iterable[Pack] = (), series: Iterable[AlbumSeries] = (),
                 owner_fields: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pack_field, series_field = self.fields["pack"], self.fields["album_series"]
        # Both are declared above as TypedChoiceFields; self.fields only knows them as Fields.
        assert isinstance(pack_field, forms.ChoiceField) and isinstance(series_field, forms.ChoiceField)
        pack_field.choices = [("", "— no pack —")] + [(p.pk, p.name) for p in packs]
        series_field.choices = [("", "— no album series —")] + [(s.pk, str(s)) for s in series]
        if not owner_fields:  # collaborators cannot file songs into the owner's packs
            del self.fields["pack"], self.fields["album_series"]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("cover", "clear_cover", "pack", "album_series")}
        if "pack" in self.fields:
            data["pack_id"] = self.cleaned_data.get("pack")
        if "album_series" in self.fields:
            data["album_series_id"] = self.cleaned_data.get("album_series")
        return data


class PackForm(forms.Form):
    name = forms.CharField(max_length=200)
    priority = forms.TypedChoiceField(choices=PRIORITY_CHOICES, coerce=int, initial=3)
    status = forms.ChoiceField(choices=STATUS_CHOICES, initial=Status.FUTURE)
    release_date = SafeDateFormField(required=False)
    download_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    video_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    release_notes = forms.CharField(required=False, max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    cover = forms.ImageField(required=False)


class AlbumSeriesForm(forms.Form):
    series_number = forms.IntegerField(required=False, min_value=0)
    artist = forms.CharField(max_length=200)
    album = forms.CharField(max_length=200)
    year = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    status = forms.ChoiceField(choices=STATUS_CHOICES, initial=Status.FUTURE)
    description = forms.CharField(required=False, max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    cover = forms.ImageField(required=False)


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Several names separated by commas invite them all (packs).")
    permission = forms.ChoiceField(choices=Collaboration.Permission.choices)
    message = forms.CharField(max_length=300, required=False)


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=80, required=False)
    bio = forms.CharField(required=False, max_length=BIO_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    is_public = forms.BooleanField(required=False, label="Show my public profile")
    image = forms.ImageField(required=False)
    clear_image = forms.BooleanField(required=False, label="Remove image")


class PlaylistImportForm(forms.Form):
    url = forms.CharField(max_length=500, label="Spotify playlist link")
