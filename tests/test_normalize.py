"""Normalisation: typed text and recogniser output must look alike afterwards."""

from __future__ import annotations

import pytest

from voice_skill.nlu.normalize import clauses, normalize, number_words, pattern_words, tokens


@pytest.mark.parametrize("text, expected", [
    ("Why is my CALF twitching?!", "why is my calf twitching"),
    ("   my   calf...   twitches   ", "my calf twitches"),
    ("Calf-muscle twitching", "calf muscle twitching"),
    ("ＣＡＬＦ twitch", "calf twitch"),  # full-width letters (NFKC)
    ("", ""),
    ("?!.,", ""),
])
def test_case_punctuation_and_spacing(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("I can't walk", "i can not walk"),
    ("I cannot walk", "i can not walk"),
    ("it won't stop", "it will not stop"),
    ("I don't feel weak", "i do not feel weak"),
    ("it isn't spreading", "it is not spreading"),
    ("I'm scared", "i am scared"),
    ("I've had it for weeks", "i have had it for weeks"),
    ("they're twitching", "they are twitching"),
    ("I'll see a doctor", "i will see a doctor"),
    ("I'd like to know", "i would like to know"),
    ("it's spreading", "it is spreading"),
    ("what's ALS", "what is als"),
    ("I can\u2019t walk", "i can not walk"),  # a curly apostrophe, as phones type it
    ("I won`t", "i will not"),
    ("i havnt been", "i have not been"),  # typed without the apostrophe and a letter
    ("he dosnt no me", "he does not know me"),  # "no" for "know" after a negated "do"
    ("she dint even no she fell", "she did not even know she fell"),  # "dint", "even" between
    ("by dint of practice", "by dint of practice"),  # the English word stays
    ("i wet my self in the night", "i wet myself in the night"),  # typed apart after a verb
    ("my self esteem is low", "my self esteem is low"),
    ("I did not, no", "i did not no"),  # across a comma the "no" is an answer
])
def test_contractions_are_expanded(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("my left no right calf is swollen", "my right calf is swollen"),
    ("my left no my right leg", "my right leg"),
    ("the right sorry left foot", "the left foot"),
    ("my left i mean right knee", "my right knee"),
    ("my left no longer hurts", "my left no longer hurts"),  # no side follows
    ("left sorry left", "left sorry left"),  # the same side again takes nothing back
    ("my left, no, my right calf", "my left no my right calf"),  # typed: clauses of their own
])
def test_a_side_corrected_at_once_keeps_only_the_correction(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Lou Gehrig's disease", "lou gehrig disease"),
    ("lou gehrigs disease", "lou gehrig disease"),
    ("my father's calf", "my father calf"),
])
def test_possessive_s_is_not_read_as_is(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("for 2 weeks", "for two weeks"),
    ("for 10 days", "for ten days"),
    ("3 times a day", "three times a day"),
    ("I'm 45", "i am forty five"),
    ("about 100 twitches", "about one hundred twitches"),
    ("S1 nerve root", "s one nerve root"),
    ("vitamin D3", "vitamin d"),
])
def test_digits_become_words_the_way_a_recogniser_writes_them(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("number, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (21, "twenty one"),
    (90, "ninety"), (100, "one hundred"), (115, "one hundred and fifteen"),
    (999, "nine hundred and ninety nine"), (1000, "1000"),
])
def test_number_words(number: int, words: str) -> None:
    assert number_words(number) == words


@pytest.mark.parametrize("text, expected", [
    ("um why is my calf uh twitching", "why is my calf twitching"),
    ("so my calf twitches, you know", "my calf twitches"),
    ("well, okay, what causes it", "what causes it"),
    ("it's kind of twitching", "it is twitching"),
    ("please tell me about sciatica", "tell me about sciatica"),
    ("hmm erm what is ALS", "what is als"),
])
def test_fillers_are_dropped(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("what does it feel like", "what does it feel like"),  # 'like' carries meaning here
    ("well", "well"),  # a lone leading filler is the whole utterance, keep it
    ("you know", "you know"),
])
def test_fillers_that_are_the_whole_meaning_stay(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("heard, expected", [
    ("there is week ness in my leg", "there is weakness in my leg"),
    ("weekness in my calf", "weakness in my calf"),
    ("my calf has weak ness", "my calf has weakness"),
    ("I get charlie horses", "i get charley horses"),
    ("should I see my GP about it", "should i see my doctor about it"),
    ("could it be M N D", "could it be mnd"),
    ("i went myself last night", "i wet myself last night"),
    ("twitchin calf", "twitching calf"),
    ("twitchy calf", "twitching calf"),
    ("my foot went numb ness", "my foot went numbness"),
    ("my calf is swolen", "my calf is swollen"),
    ("is it a l s", "is it als"),
    ("could it be m s", "could it be ms"),
    ("low vitamin dee", "low vitamin d"),
    ("it twitches non stop", "it twitches nonstop"),
    ("I can't stand on tip toe", "i can not stand on tiptoe"),
    ("thankyou", "thank you"),
    ("i suddenly con to move my leg", "i suddenly can not move my leg"),  # British "can't"
    ("i khan feel my foot", "i can not feel my foot"),
    ("he is a con artist", "he is a con artist"),
    ("genghis khan to the west", "genghis khan to the west"),
    ("the pain in my chess goes down my arm", "the pain in my chest goes down my arm"),
    ("he won my chess set", "he won my chess set"),
    ("it is gone totally num", "it is gone totally numb"),
    ("night camps wake me", "night cramps wake me"),
    ("summer camps for kids", "summer camps for kids"),
])
def test_recogniser_slips_are_mended(heard: str, expected: str) -> None:
    assert normalize(heard) == expected


def test_a_real_week_is_still_a_week() -> None:
    assert normalize("it started a week ago") == "it started a week ago"


@pytest.mark.parametrize("text", [
    "\tmy calf\x00 twitches\r",
    "my calf\x1b twitches",
    "my calf\x0c\x0b twitches\x7f",
    "my calf\u200b twitches",  # zero-width space (format character)
    "my calf\udcff twitches",  # a lone surrogate, as surrogateescape leaves invalid UTF-8
])
def test_control_characters_are_spaces(text: str) -> None:
    assert normalize(text) == "my calf twitches"


def test_tokens_keep_fillers_for_clause_boundaries() -> None:
    assert tokens("um, my calf") == ["um", "my", "calf"]


def test_clauses_split_where_punctuation_ends_a_clause() -> None:
    assert clauses("No chest pain, but my calf is hot; and swollen!") == [
        ["no", "chest", "pain"], ["but", "my", "calf", "is", "hot"], ["and", "swollen"]]


def test_clauses_of_speech_are_one_clause() -> None:
    assert clauses("no chest pain but my calf is hot") == [
        ["no", "chest", "pain", "but", "my", "calf", "is", "hot"]]


def test_clauses_normalise_each_part() -> None:
    assert clauses("I can't walk. It's 2 weeks now") == [
        ["i", "can", "not", "walk"], ["it", "is", "two", "weeks", "now"]]


def test_clauses_drop_empty_parts() -> None:
    assert clauses("...,,, ;") == []


def test_a_100_kilobyte_line_normalises() -> None:
    # Five words repeated: longer than a restart, so every copy stays.
    line = "my calf twitches at night " * 4_000
    assert normalize(line) == line.strip()


def test_a_100_kilobyte_restart_keeps_one_copy() -> None:
    assert normalize("calf " * 20_000) == "calf"


@pytest.mark.parametrize("said, expected", [
    ("i can't i can't seem to wee", "i can not wee"),
    ("my calf my calf is twitching", "my calf is twitching"),
    ("my left leg my left leg gave way", "my left leg gave way"),
    ("no no my right leg", "no no my right leg"),
    ("very very weak", "very very weak"),
])
def test_a_restart_keeps_one_copy_and_repeats_said_on_purpose_stay(said: str,
                                                                    expected: str) -> None:
    assert normalize(said) == expected


@pytest.mark.parametrize("typed, expected", [
    ("cud twitchin spread", "could twitching spread"),
    ("wot does it mean if ur calf swells", "what does it mean if your calf swells"),
    ("cant go on tippy toes", "can not go on tiptoes"),
    ("she doesnt seem able to lift it", "she can not lift it"),
    ("me left leg is catching", "my left leg is catching"),
    ("my wife's twin sister", "my wife sister"),
    ("my older brother", "my brother"),
    ("him cyaan stand pon it", "him can not stand on it"),
    ("me ma has motor neurone", "my ma has motor neurone"),
    ("should i worry that my foot drags", "is it bad that my foot drags"),
    ("should i worry about my foot", "should i worry about my foot"),
])
def test_text_speak_seeming_and_relatives_are_read_plainly(typed: str, expected: str) -> None:
    assert normalize(typed) == expected


@pytest.mark.parametrize("heard, expected", [
    ("my leg feels week", "my leg feels weak"),
    ("my calf felt week all day", "my calf felt weak all day"),
    ("my leg is getting weeker", "my leg is getting weaker"),
    ("one week calf twitching", "one week calf twitching"),
    ("twitching for a week", "twitching for a week"),
])
def test_week_is_weak_only_where_a_week_makes_no_sense(heard: str, expected: str) -> None:
    assert normalize(heard) == expected


@pytest.mark.parametrize("text, normalised", [
    ("he cannae get his words oot", "he can not get his words out"),
    ("pins n needles in my foot", "pins and needles in my foot"),  # text-speak "n"
    ("calf 4 6 wks", "calf four six weeks"),
    ("had d&v for 2 days", "had diarrhoea and vomiting for two days"),
    ("me brother has MND", "my brother has mnd"),
    ("I keep catching me toe", "i keep catching my toe"),
    ("the doctor told me leg cramps are common", "the doctor told me leg cramps are common"),
    ("I cant feel it", "i can not feel it"),
    ("not since last nite", "not since last night"),
    ("There's no way I can stand", "i can not stand"),  # the negation is the verb's
    ("no way he could walk", "he could not walk"),
    ("Mine's swollen", "mine is swollen"),  # "mine" is never a possessive's owner
])
def test_dialect_and_missing_apostrophes(text: str, normalised: str) -> None:
    assert normalize(text) == normalised


def test_a_year_in_a_pattern_stays_digits() -> None:
    """ "in 20*" is a year typed as digits ("in 2019"); spelled out it would never meet one."""
    assert pattern_words("in 20*") == ["in", "20*"]
    assert pattern_words("weak*") == ["weak*"]


@pytest.mark.parametrize("text, expected", [
    ("I am not able to breathe", "i am can not breathe"),
    ("unable to see out of my eye", "can not see out of my eye"),
    ("I won't be able to walk", "i will not be able to walk"),
])
def test_unable_to_reads_as_cannot(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("since two week", "since two weeks"),
    ("for 3 month", "for three months"),
    ("one week ago", "one week ago"),
])
def test_a_count_of_time_with_a_singular_unit_is_plural(text: str, expected: str) -> None:
    assert normalize(text) == expected
