"""The phrase syntax trainers write in signal files, and the anchors that keep it fast."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playbook.content import load_content
from playbook.phrases import anchor, anchors, compile_phrase, normalise


@pytest.mark.parametrize(
    ("phrase", "text", "hit"),
    [
        ("doesn't work", "it doesnt work", True),
        ("doesn't work", "it doesn’t   work", True),
        ("refund*", "they refunded me", True),
        ("keep .. refund", "keep it and give me a refund", True),
        ("keep .. refund", "keep it and then maybe later you could give a refund", False),
        ("box", "inbox", False),
        ("colou?r", "the color", True),
        ("não recebi", "NAO RECEBI o pedido", True),
        ("не работает", "НЕ РАБОТАЕТ", True),
        ("没收到", "我还没收到货", True),
        ("(1|one) star", "one star", True),
        # a leading group starts at a word, whatever the alternative
        ("(so|apenas) um", "veio so um", True),
        ("(so|apenas) um", "isso um", False),
        ("(le colis|il) est la", "le colis est la", True),
        ("(le colis|il) est la", "ville colis est la", False),
        ("(\\$|€) ?\\d+ back", "give $5 back", True),
        ("(\\$|€) ?\\d+ back", "a$5 back", False),
        ("(\\d+|one) pcs", "2 pcs", True),
        ("(\\d+|one) pcs", "x2 pcs", False),
        ("(\\d+|one) pcs", "someone pcs", False),
        ("it’s ‘fine’", "IT'S 'FINE'", True),
        # ".." right after an optional group that took its gap along
        ("mal (bitte )?.. prüfen", "mal bitte vorher die Maße prüfen", True),
        ("mal (bitte )?.. prüfen", "mal vorher prüfen", True),
        ("mal (bitte )?.. prüfen", "mal prüfen", True),
        ("mal (bitte )?.. prüfen", "malprüfen", False),
    ],
)
def test_phrase_matches(phrase, text, hit):
    assert bool(re.search(compile_phrase(phrase), normalise(text))) is hit


def test_bad_phrase_is_a_clear_error():
    with pytest.raises(ValueError, match="not a valid phrase"):
        compile_phrase("broken (")
    with pytest.raises(ValueError, match="empty"):
        compile_phrase("   ")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("keep (it|the item) and .. refund", "refund"), ("colou?r is different", "different"),
     ("(\\d+|ten) ?(%|percent)", ""), ("没收到", "没收到"), ("doesn't work", "doesn")],
)  # fmt: skip
def test_anchor_is_a_literal_every_match_contains(phrase, expected):
    assert anchor(phrase) == expected


def test_every_content_phrase_anchor_is_in_its_own_matches():
    """An anchor missing from a real match would silently disable that phrase."""
    for file in load_content().signals.values():
        for kind in ("reasons", "flags", "context"):
            for _, phrase, _ in file.entries(kind):
                literals = anchors(phrase)
                sample = normalise(phrase).replace("..", " ").replace("*", "")
                sample = re.sub(r"[()|?\\]", " ", sample)
                match = re.search(compile_phrase(phrase), sample)
                if match and literals:
                    assert any(a in match.group(0) for a in literals), (file.lang, phrase)


@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


def test_a_common_word_hands_the_anchor_to_a_required_group():
    common = frozenset({"de", "calidad"})
    assert anchors("de (mala|baja) calidad", common) == ("baja", "mala")
    assert anchors("de (muy )?mala calidad", frozenset({"de"})) == ("calidad",)
    assert anchors("no (llego|llega)", frozenset({"no"})) == ("llega", "llego")


def test_character_classes_and_counts_are_not_required_literals():
    from playbook.phrases import literal_pieces

    assert literal_pieces("colo[a-z]r fade") == ["colo", "r", "fade"]
    assert "0,12" not in literal_pieces("ab.{0,12}cd")
    assert literal_pieces("keep .. refund") == ["keep", "refund"]
