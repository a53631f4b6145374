"""Unit tests of cpmkit.feedback.comments: theme matching, the tone of comments, and the summaries.

The taxonomies are built by hand here, so these tests do not depend on the template loader;
summary tests start from hand-made analysed frames with known sentiment values, so their
expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import math
import socket
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback import comments
from cpmkit.feedback.comments import analyse_comments, negative_first, theme_summary, theme_trend
from cpmkit.feedback.pulse.template import FeedbackTaxonomy, Theme, feedback_taxonomy

TAXONOMY = FeedbackTaxonomy(
    themes=(
        Theme("communication", "Communication", ("communicat*", "status update", "e-mail*", "check-in")),
        Theme("schedule", "Schedule", ("late", "deadline*", "on time")),
        Theme("scope", "Scope", ("scope", "requirement*")),
        Theme("responsiveness", "Responsiveness", ("didn't reply", "respond*")),
    ),
    tone_words=(("late", -1.2), ("slipped", -1.2), ("please", 0.0)),
)


def _frame(*texts: Any, column: str = "comment") -> pd.DataFrame:
    return pd.DataFrame({column: list(texts)})


def _themes_of(*texts: str) -> list[str]:
    return list(analyse_comments(_frame(*texts), TAXONOMY)["themes"])


# -- theme matching --------------------------------------------------------------------------


def test_keywords_match_whatever_the_case_and_punctuation() -> None:
    assert _themes_of("SCOPE changed.", "(scope)", "Scope, again!", "the scope's size") == ["scope"] * 4


def test_a_keyword_inside_another_word_does_not_match() -> None:
    assert _themes_of("We bought a telescope", "Scoped work", "scopes") == ["", "", ""]
    assert _themes_of("lately", "a chocolate bar", "latest news") == ["", "", ""]


def test_a_stem_matches_every_word_it_starts_and_only_those() -> None:
    assert _themes_of("Communication", "communicating well", "they communicate", "Requirements") == [
        "communication", "communication", "communication", "scope",
    ]  # fmt: skip
    assert _themes_of("excommunicated", "communal") == ["", ""]


def test_a_phrase_matches_its_words_in_order_with_any_punctuation_between() -> None:
    matched = ["Status update please", "status-update", "STATUS   update", "status\nupdate", "status, update"]
    assert _themes_of(*matched) == ["communication"] * len(matched)
    assert _themes_of("update status", "status of the update", "statusupdate") == ["", "", ""]


def test_a_hyphen_or_apostrophe_in_a_keyword_may_be_left_out() -> None:
    # "e-mail*": email, e-mail, "e mail", emails; "didn't reply": curly or straight apostrophe, or none
    assert _themes_of("email", "E-mails", "e mail", "emails") == ["communication"] * 4
    assert _themes_of("They didn’t reply", "didnt reply", "DIDN'T reply!") == ["responsiveness"] * 3
    # "check-in" matches checkin, check-in and "check in", but not checking
    assert _themes_of("weekly checkin", "a check-in", "check in") == ["communication"] * 3
    assert _themes_of("checking the figures") == [""]


def test_a_phrase_never_spans_two_comments() -> None:
    # "status" ends one comment and "update" starts the next: no phrase there
    assert _themes_of("We want a status", "update the plan") == ["", ""]
    assert _themes_of("It was on", "time to go") == ["", ""]


def test_a_comment_gets_every_theme_it_mentions_in_taxonomy_order() -> None:
    assert _themes_of("Nobody responded about the scope, and the deadline is late; poor communication.") == [
        "communication|schedule|scope|responsiveness"
    ]


def test_non_english_letters_are_part_of_words() -> None:
    taxonomy = FeedbackTaxonomy((Theme("cost", "Cost", ("coût*",)),))
    assert list(analyse_comments(_frame("Le coût est élevé", "surcoût"), taxonomy)["themes"]) == ["cost", ""]


def test_real_taxonomy_on_typical_comments() -> None:
    taxonomy = feedback_taxonomy()
    analysed = analyse_comments(
        _frame(
            "The invoice doesn't match the quote.",
            "We were kept in the dark about the go-live date.",
            "Nobody replied to my e-mails for a week.",
            "The telescope arrived.",
        ),
        taxonomy,
    )
    assert list(analysed["themes"]) == ["budget", "schedule|transparency", "communication|responsiveness", ""]


# -- sentiment -------------------------------------------------------------------------------


def _tones(*texts: str) -> list[str]:
    return list(analyse_comments(_frame(*texts), TAXONOMY)["tone"])


def test_clear_praise_is_positive_and_clear_criticism_negative() -> None:
    analysed = analyse_comments(
        _frame("The team is great and very helpful!", "The quality is terrible and I am angry."), TAXONOMY
    )
    assert list(analysed["tone"]) == ["positive", "negative"]
    assert analysed["sentiment"].iloc[0] > 0.5 and analysed["sentiment"].iloc[1] < -0.5


def test_negation_turns_the_tone() -> None:
    assert _tones("The updates are good.", "The updates are not good.") == ["positive", "negative"]
    assert _tones("The team was helpful.", "The team was never helpful.") == ["positive", "negative"]


def test_tone_words_add_project_vocabulary() -> None:
    # "late" and "slipped" are not in VADER's lexicon; with the taxonomy's tone words they are
    assert _tones("The deadline slipped again.", "The report was late.") == ["negative", "negative"]
    plain = FeedbackTaxonomy(TAXONOMY.themes)
    assert list(analyse_comments(_frame("The deadline slipped again."), plain)["tone"]) == ["neutral"]


def test_a_tone_word_scored_zero_carries_no_tone() -> None:
    # VADER rates "please" positive; the taxonomy sets it to 0 so a request stays neutral
    assert _tones("Please send the minutes.") == ["neutral"]


PHRASES = FeedbackTaxonomy(
    TAXONOMY.themes,
    tone_words=(("no", 0.0),),
    tone_phrases=(("could be", -1.5), ("could be better", -1.8), ("didn't reply", -1.5), ("feels like", 0.0)),
)


def _phrase_tones(*texts: str) -> list[str]:
    return list(analyse_comments(_frame(*texts), PHRASES)["tone"])


def test_a_tone_phrase_is_scored_in_place_of_its_words() -> None:
    # VADER alone reads "better" and "like" as praise
    assert _tones("Communication could be better.", "It feels like a long wait.") == ["positive", "positive"]
    assert _phrase_tones("Communication could be better.", "It feels like a long wait.") == ["negative", "neutral"]


def test_tone_phrases_match_whatever_the_case_spacing_and_apostrophe() -> None:
    texts = ("COULD  BE\nBETTER", "They didnt reply.", "They didn’t reply.", "They didn-t reply")
    assert _phrase_tones(*texts) == ["negative"] * 4


def test_tone_phrases_match_whole_words_only() -> None:
    # "could bear" is not "could be", "kdidn't reply" not "didn't reply"
    assert _phrase_tones("I could bear it.", "They kdidn't reply.", "Could be.") == ["neutral", "neutral", "negative"]


def test_the_longest_tone_phrase_wins_and_negation_before_it_applies() -> None:
    sentiment = analyse_comments(_frame("It could be better.", "It could be done."), PHRASES)["sentiment"]
    assert sentiment.iloc[0] < sentiment.iloc[1] < 0
    assert _phrase_tones("It never could be better.") == ["positive"]


def test_no_on_its_own_carries_no_tone_but_still_negates() -> None:
    assert _tones("No comments.") == ["negative"]
    assert _phrase_tones("No comments.", "No complaints.") == ["neutral", "positive"]


def test_sentiment_is_between_minus_1_and_1_and_neutral_text_is_0() -> None:
    analysed = analyse_comments(
        _frame(
            "Send the minutes on Friday.", "Horrible, awful, terrible!!! I hate it.", "Amazing, wonderful, perfect!!!"
        ),
        TAXONOMY,
    )
    assert analysed["sentiment"].iloc[0] == 0.0
    assert -1 <= analysed["sentiment"].min() < -0.9 and 0.9 < analysed["sentiment"].max() <= 1


def test_the_same_text_gets_the_same_score() -> None:
    analysed = analyse_comments(_frame("Late again.", "Fine.", "Late again."), TAXONOMY)
    assert analysed["sentiment"].iloc[0] == analysed["sentiment"].iloc[2]


def test_analysis_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the analysis tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    comments._analyser.cache_clear()  # build VADER again, reading its lexicon, with no network
    assert _tones("Great work!") == ["positive"]


# -- analysed frame --------------------------------------------------------------------------


def test_analysis_keeps_the_responses_and_drops_blank_answers() -> None:
    frame = pd.DataFrame(
        {
            "round": ["r1", "r1", "r2", "r2"],
            "recommend": [9, 3, 7, 10],
            "anything_else": ["More check-ins", None, "  ", "Nothing"],
            "comment": ["  Great team!  ", "Late again", math.nan, 42],
        },
        index=[10, 11, 12, 13],
    )
    before = frame.copy()
    analysed = analyse_comments(frame, TAXONOMY, text_columns=("anything_else", "comment"))
    pd.testing.assert_frame_equal(frame, before)
    assert list(analysed.columns) == ["round", "recommend", "question", "text", "sentiment", "tone", "themes"]
    # a response's answers stay together, in the order of text_columns; index labels kept
    assert list(analysed.index) == [10, 10, 11, 13, 13]
    assert list(analysed["question"]) == ["anything_else", "comment", "comment", "anything_else", "comment"]
    assert list(analysed["text"]) == ["More check-ins", "Great team!", "Late again", "Nothing", "42"]
    assert list(analysed["recommend"]) == [9, 9, 3, 10, 10]


def test_analysis_of_no_comments_is_an_empty_frame_with_the_columns() -> None:
    analysed = analyse_comments(_frame(None, "   "), TAXONOMY)
    assert analysed.empty
    assert list(analysed.columns) == ["question", "text", "sentiment", "tone", "themes"]


@pytest.mark.parametrize(
    ("frame", "text_columns", "message"),
    [
        (_frame("x"), ("remarks",), "needs the column"),
        (_frame("x"), (), "at least one column"),
        (pd.DataFrame({"comment": ["x"], "tone": ["?"]}), ("comment",), "already have column"),
    ],
)
def test_analysis_checks_its_columns(frame: pd.DataFrame, text_columns: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        analyse_comments(frame, TAXONOMY, text_columns=text_columns)


# -- listings and summaries ------------------------------------------------------------------


def _analysed() -> pd.DataFrame:
    """Six comments in two rounds with known sentiment (as analyse_comments would give them)."""
    return pd.DataFrame(
        {
            "round": ["June", "June", "June", "May", "May", "May"],
            "submitted_at": pd.to_datetime(["2025-06-02"] * 3 + ["2025-05-05"] * 3),
            "text": ["late again", "scope keeps changing", "thanks", "late and vague", "on time", "bad scope"],
            "sentiment": [-0.6, -0.2, 0.5, -0.8, 0.4, -0.2],
            "tone": ["negative", "negative", "positive", "negative", "positive", "negative"],
            "themes": ["schedule", "scope", "", "schedule|communication", "schedule", "scope"],
        }
    )


def test_negative_first_orders_by_sentiment_and_keeps_ties_in_order() -> None:
    listed = negative_first(_analysed())
    assert list(listed["text"]) == [
        "late and vague",
        "late again",
        "scope keeps changing",
        "bad scope",
        "on time",
        "thanks",
    ]


def test_negative_first_for_one_theme() -> None:
    assert list(negative_first(_analysed(), theme="schedule")["text"]) == ["late and vague", "late again", "on time"]
    assert list(negative_first(_analysed(), theme="unthemed")["text"]) == ["thanks"]
    assert negative_first(_analysed(), theme="sched").empty  # a whole id, not a part of one


def test_theme_summary() -> None:
    # schedule:      3 of 6 comments (50 %), 2 negative, mean (-0.6 - 0.8 + 0.4) / 3 = -1/3
    # scope:         2 (33.3 %), 2 negative, mean (-0.2 - 0.2) / 2 = -0.2
    # communication: 1 (16.7 %), 1 negative, mean -0.8
    # responsiveness: none; unthemed: "thanks", 0.5
    summary = theme_summary(_analysed(), TAXONOMY)
    assert list(summary.columns) == ["theme", "label", "comments", "share", "negative", "mean_sentiment", "examples"]
    # most negative comments first (schedule and scope 2 each: then most mentioned), unthemed last
    assert list(summary["theme"]) == ["schedule", "scope", "communication", "responsiveness", "unthemed"]
    assert list(summary["label"]) == ["Schedule", "Scope", "Communication", "Responsiveness", "No theme"]
    assert list(summary["comments"]) == [3, 2, 1, 0, 1]
    assert list(summary["negative"]) == [2, 2, 1, 0, 0]
    assert summary["share"].tolist() == pytest.approx([50, 100 / 3, 100 / 6, 0, 100 / 6])
    means = summary["mean_sentiment"].tolist()
    assert means[:3] == pytest.approx([-1 / 3, -0.2, -0.8]) and math.isnan(means[3]) and means[4] == 0.5
    # examples: most negative first, at most 3 by default
    assert summary.loc[0, "examples"] == ("late and vague", "late again", "on time")
    assert summary.loc[1, "examples"] == ("scope keeps changing", "bad scope")
    assert summary.loc[3, "examples"] == ()


def test_theme_summary_example_count() -> None:
    summary = theme_summary(_analysed(), TAXONOMY, examples=1)
    assert summary.loc[0, "examples"] == ("late and vague",)
    assert all(examples == () for examples in theme_summary(_analysed(), TAXONOMY, examples=0)["examples"])
    with pytest.raises(ValidationError, match="whole number"):
        theme_summary(_analysed(), TAXONOMY, examples=-1)


def test_theme_summary_examples_differ() -> None:
    """A comment given word for word by many (case and spacing aside) is one example."""
    analysed = _analysed().assign(
        text=["late again", "scope keeps changing", "thanks", "Late  again", "on time", "bad scope"]
    )
    summary = theme_summary(analysed, TAXONOMY)
    assert summary.loc[0, "comments"] == 3  # still counted three times
    assert summary.loc[0, "examples"] == ("Late  again", "on time")  # the most negative wording first
    assert theme_summary(analysed, TAXONOMY, examples=1).loc[0, "examples"] == ("Late  again",)


def test_theme_summary_of_no_comments() -> None:
    summary = theme_summary(_analysed().iloc[:0], TAXONOMY)
    assert list(summary["comments"]) == [0, 0, 0, 0, 0]
    assert summary["share"].isna().all()


def test_themes_not_in_the_taxonomy_are_refused() -> None:
    analysed = _analysed()
    analysed.loc[0, "themes"] = "schedule|budget"
    with pytest.raises(ValidationError, match="not in the taxonomy: budget"):
        theme_summary(analysed, TAXONOMY)


def test_theme_trend() -> None:
    # May ran first (3 comments): schedule 2 (66.7 %, 1 negative, mean (-0.8 + 0.4) / 2 = -0.2),
    #   scope 1 (33.3 %, 1 negative, -0.2), communication 1 (33.3 %, 1 negative, -0.8)
    # June (3 comments): schedule 1 (33.3 %, 1 negative, -0.6), scope 1 (33.3 %, 1 negative, -0.2),
    #   unthemed 1 (33.3 %, 0 negative, 0.5)
    trend = theme_trend(_analysed(), TAXONOMY)
    assert list(trend.columns) == ["round", "theme", "label", "comments", "share", "negative", "mean_sentiment"]
    themes = ["communication", "schedule", "scope", "responsiveness", "unthemed"]
    assert list(trend["round"]) == ["May"] * 5 + ["June"] * 5
    assert list(trend["theme"]) == themes * 2
    assert list(trend["comments"]) == [1, 2, 1, 0, 0, 0, 1, 1, 0, 1]
    assert list(trend["negative"]) == [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]
    assert trend["share"].tolist() == pytest.approx([100 / 3, 200 / 3, 100 / 3, 0, 0, 0, 100 / 3, 100 / 3, 0, 100 / 3])
    means = trend["mean_sentiment"].tolist()
    assert [means[i] for i in (0, 1, 2, 6, 7, 9)] == pytest.approx([-0.8, -0.2, -0.2, -0.6, -0.2, 0.5])
    assert all(math.isnan(means[i]) for i in (3, 4, 5, 8))


def test_theme_trend_needs_the_round_and_dates() -> None:
    with pytest.raises(ValidationError, match="submitted_at"):
        theme_trend(_analysed().drop(columns="submitted_at"), TAXONOMY)


def test_tone_phrases_survive_any_case_folding_and_end_at_a_word() -> None:
    """A dotted capital İ (Turkish keyboards) matches "i" without breaking the analysis, and a
    phrase before "-ish" or "'s" is not read as the phrase."""
    taxonomy = dataclasses.replace(feedback_taxonomy(), tone_phrases=(("i wish", -1.0), ("on track", 1.5)))
    frame = pd.DataFrame({"comment": ["İ wish we had more updates", "KEEP İT UP, we are ON TRACK", "on track-ish"]})
    tones = analyse_comments(frame, taxonomy)["sentiment"].tolist()
    assert tones[0] < 0 < tones[1] and tones[2] == 0.0
