"""Matching listings to the collection and want list: exact, by code, and fuzzy for eBay titles."""
from __future__ import annotations

from digger.matching import Matcher, Owned, normalize, normalize_code

ITEMS = [
    Owned(release_id=372000, kind="want", artist="The Fall", title="Dragnet", catno="SFLP 4"),
    Owned(release_id=1018055, kind="collection", artist="The Fall", title="Live At The Witch Trials", catno="SFLP 1"),
    Owned(release_id=1215019, kind="want", artist="Joy Division", title="Unknown Pleasures", catno="FACT 10",
          barcode="5 013929 050113"),
    Owned(release_id=1215019, kind="collection", artist="Joy Division", title="Unknown Pleasures", catno="FACT 10"),
    Owned(release_id=7, kind="want", artist="Sigur Rós", title="Ágætis Byrjun", catno=""),
]


def matcher(threshold: int = 85) -> Matcher:
    return Matcher(ITEMS, threshold=threshold)


def test_normalize_strips_accents_punctuation_and_homonym_suffix():
    assert normalize("Sigur Rós (2) – Ágætis Byrjun!") == "sigur ros agaetis byrjun"
    assert normalize("Simon & Garfunkel") == "simon and garfunkel"
    assert normalize_code("sflp-1") == normalize_code("SFLP 1") == "SFLP1"


def test_release_id_match_flags_both_lists():
    m = matcher().match(release_id=1215019)
    assert (m.in_collection, m.in_wantlist, m.method, m.confidence) == (True, True, "release_id", 100)


def test_unknown_release_id_does_not_fall_back_to_fuzzy():
    assert not matcher().match(release_id=999, artist="The Fall", title="Dragnet").matched


def test_ebay_catno_in_title_matches():
    m = matcher().match(title="THE FALL Dragnet LP 1979 Step Forward SFLP 4 UK original")
    assert m.in_wantlist and m.method == "catno" and m.release_id == 372000 and m.confidence == 90


def test_barcode_match():
    m = matcher().match(barcode="5013929050113", title="some record")
    assert m.method == "barcode" and m.in_wantlist and m.in_collection


def test_fuzzy_match_on_reordered_noisy_ebay_title():
    m = matcher().match(title="Fall, The - Live at the Witch Trials vinyl record")
    assert m.in_collection and not m.in_wantlist
    assert m.method == "fuzzy" and 85 <= m.confidence <= 100 and m.release_id == 1018055


def test_fuzzy_match_survives_accents_and_typos():
    m = matcher().match(title="SIGUR ROS Agaetis Byrjun 2LP vinyl")
    assert m.in_wantlist and m.method == "fuzzy"


def test_fuzzy_rejects_a_different_artist_sharing_a_word():
    assert not matcher().match(title="Fall Out Boy - Take This To Your Grave LP").matched


def test_fuzzy_threshold_is_respected():
    title = "The Fall Dragnot"  # one typo in the title
    assert matcher(threshold=80).match(title=title).matched
    assert not matcher(threshold=99).match(title=title).matched
