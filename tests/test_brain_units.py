"""Brain pieces on their own: language detection, playbook validation, text splitting."""

from __future__ import annotations

from importlib import resources

import pytest

from brain.language import detect_language
from brain.playbook import PlaybookError, load_playbook, parse_playbook
from brain.types import Button
from channels.messages import ChannelCapabilities, OutboundMessage
from channels.outbox import fit_to_channel, split_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How much is the Office 200?", "en"),
        ("Сколько стоит доставка?", "ru"),
        ("Скільки коштує доставка?", "uk"),
        ("Що у вас є для кав'ярні", "uk"),
        ("Это подходит для офиса", "ru"),
        ("Ви доставляєте до Львова?", "uk"),
        ("Office 200 цена", "ru"),
    ],
)
def test_language_is_detected_per_message(text, expected):
    assert detect_language(text) == expected


def test_ambiguous_cyrillic_keeps_the_conversation_language():
    assert detect_language("Добре", previous="uk") == "uk"
    assert detect_language("ок", previous="ru") == "ru"
    assert detect_language("👍", previous="uk") == "uk"
    assert detect_language("12345") == "en"


def test_example_playbook_is_complete_in_three_languages():
    playbook = load_playbook()
    assert playbook.languages == ["ru", "uk", "en"]
    for key in ("greeting", "no_answer", "handoff", "unsupported_message", "empty_message", "too_long"):
        for language in playbook.languages:
            assert playbook.text(key, language), (key, language)
    for category in playbook.categories:
        assert set(category.examples) == {"ru", "uk", "en"}, category.id


def test_playbook_schema_error_names_field_and_line():
    raw = resources.files("brain").joinpath("sample/playbook.yaml").read_text(encoding="utf-8")
    broken = raw.replace("default_language: en", "default_language: de")
    with pytest.raises(PlaybookError, match="default_language"):
        parse_playbook(broken)
    missing = raw.replace("tone:", "tonality:")
    with pytest.raises(PlaybookError, match=r"tone.*Field required"):
        parse_playbook(missing)


def test_split_text_respects_limit_and_keeps_every_word():
    text = " ".join(f"word{i}." for i in range(3000))
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]


def test_buttons_become_text_where_a_channel_has_none():
    caps = ChannelCapabilities(max_text=100, supports_buttons=False)
    [piece] = fit_to_channel(OutboundMessage("Need help?", [Button("Talk to a manager", "human")]), caps)
    assert piece.buttons == [] and piece.text.endswith("• Talk to a manager")


def test_a_growing_draft_shows_whole_words_and_holds_back_a_number_until_its_currency():
    from brain.drafts import shown_part

    assert shown_part("The Office 200 costs 1 45") == "The Office 200 costs"
    assert shown_part("The Office 200 costs 1 450 EUR and") == "The Office 200 costs 1 450 EUR"
    assert shown_part("Hello wor") == "Hello" and shown_part("Hi") == ""


def test_character_view_is_idf_weighted_ngram_counts_of_unit_length():
    from collections import Counter

    import numpy as np

    from brain.textfeatures import CharTfidf, char_ngrams

    tfidf = CharTfidf().fit(["Скільки коштує Office 200?", "Do you deliver to Lviv?", "Office 200 price"])
    texts = ["Office 200 — скільки?", "", "Lviv Lviv Lviv", "qqqq"]
    matrix = tfidf.transform(texts)

    assert matrix.shape == (4, len(tfidf.vocabulary)) and matrix.has_sorted_indices
    for row, text in enumerate(texts):
        counts = Counter(tfidf.vocabulary[g] for g in char_ngrams(text) if g in tfidf.vocabulary)
        expected = np.zeros(len(tfidf.vocabulary), np.float32)
        for column, count in counts.items():
            expected[column] = count * tfidf.idf[column]
        if counts:
            expected /= np.linalg.norm(expected)
        assert np.allclose(matrix[row].toarray().ravel(), expected, atol=1e-6)
    assert matrix[1].nnz == 0 and matrix[3].nnz == 0  # nothing known: an empty row, not a division by zero
