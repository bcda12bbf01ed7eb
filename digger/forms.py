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


class CartForm(forms.Form):
    budget = forms.CharField(max_length=12, required=False, label="Budget (landed, your currency)")
    max_sellers = forms.CharField(max_length=4, required=False, label="At most this many sellers")
    must_have = forms.MultipleChoiceField(choices=[], required=False, label="Must have",
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, wants: list[tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["must_have"].choices = [(str(rid), label) for rid, label in wants or []]  # type: ignore[attr-defined]


class WantAlertForm(forms.Form):
    max_price = forms.CharField(max_length=12, required=False, label="Ceiling (landed)")
    currency = forms.CharField(max_length=3, required=False)
    min_media_condition = forms.ChoiceField(choices=[("", "Any"), *Condition.choices], required=False, label="Media at least")
    min_sleeve_condition = forms.ChoiceField(choices=[("", "Any"), *Condition.choices], required=False, label="Sleeve at least")
    min_seller_rating = forms.CharField(max_length=6, required=False, label="Seller rating at least (%)")
    steal_only = forms.BooleanField(required=False, label="Steals only")
    must_have = forms.BooleanField(required=False, label="Must have (cart)")
    alert_active = forms.BooleanField(required=False, label="Alert me")


class AlertChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=[("email", "E-mail"), ("webhook", "Webhook (https)")])
    url = forms.CharField(max_length=500, required=False, label="Webhook URL")


class CartPreferencesForm(forms.Form):
    """Free-text lists for the page; services.cart_set_preferences checks every code and rate."""

    currency = forms.CharField(max_length=3, label="Your currency")
    duty_rates = forms.CharField(max_length=500, required=False, label="Import duty % by seller country",
                                 help_text="For example: GB=20, JP=10")
    country_allow = forms.CharField(max_length=300, required=False, label="Only sellers in", help_text="US, EU, …")
    country_block = forms.CharField(max_length=300, required=False, label="Never sellers in")
    min_seller_rating = forms.CharField(max_length=6, required=False, label="Seller rating at least (%)")
    cart_drop_alert_percent = forms.CharField(max_length=6, label="Alert when the cart drops by more than (%)")

    @staticmethod
    def _codes(value: str) -> list[str]:
        return [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]

    def clean_country_allow(self) -> list[str]:
        return self._codes(self.cleaned_data["country_allow"])

    def clean_country_block(self) -> list[str]:
        return self._codes(self.cleaned_data["country_block"])

    def clean_duty_rates(self) -> dict[str, str]:
        rates = {}
        for entry in self._codes(self.cleaned_data["duty_rates"]):
            code, sep, rate = entry.partition("=")
            if not sep:
                raise forms.ValidationError("Write each rate as CODE=percent, for example GB=20.")
            rates[code.strip()] = rate.strip()
        return rates
