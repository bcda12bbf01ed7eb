"""HTML forms; validation itself lives in services.search_clean so the API and pages agree."""
from __future__ import annotations

from django import forms

from .models import Condition, DiggerProfile, Location, Platform


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=120)
    query = forms.CharField(max_length=200, required=False, label="Text")
    artist = forms.CharField(max_length=200, required=False)
    title = forms.CharField(max_length=200, required=False)
    barcode = forms.CharField(max_length=40, required=False)
    catno = forms.CharField(max_length=60, required=False, label="Catalogue number")
    release_id = forms.CharField(max_length=20, required=False, label="Discogs release id")
    platform = forms.ChoiceField(choices=Platform.choices, initial=Platform.BOTH)
    price_min = forms.CharField(max_length=12, required=False, label="Min price")
    price_max = forms.CharField(max_length=12, required=False, label="Max price")
    currency = forms.CharField(max_length=3, initial="USD")
    min_media_condition = forms.ChoiceField(choices=[("", "Any"), *Condition.choices], required=False,
                                            label="Media at least")
    min_sleeve_condition = forms.ChoiceField(choices=[("", "Any"), *Condition.choices], required=False,
                                             label="Sleeve at least")
    format = forms.CharField(max_length=20, required=False, initial="Vinyl")
    seller_location = forms.ChoiceField(choices=Location.choices, initial=Location.ANY)
    interval_hours = forms.CharField(max_length=6, initial="24", label="Every (hours)")
    active = forms.BooleanField(required=False, initial=True)


class CredentialsForm(forms.Form):
    discogs_username = forms.CharField(max_length=100, required=False, label="Discogs username")
    discogs_token = forms.CharField(max_length=500, required=False, label="Discogs personal access token",
                                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    ebay_client_id = forms.CharField(max_length=500, required=False, label="eBay client id (App ID)",
                                     widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    ebay_client_secret = forms.CharField(max_length=500, required=False, label="eBay client secret (Cert ID)",
                                         widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    email_digest = forms.ChoiceField(choices=DiggerProfile.Digest.choices, label="E-mail me new matches")
    preferred_location = forms.ChoiceField(choices=Location.choices, label="Preferred seller location")
