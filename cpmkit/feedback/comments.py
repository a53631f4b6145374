"""Workbook 4 comments: the tone of each pulse-survey comment and the themes it mentions,
with counts, examples and the trend from round to round.

Pure functions over a responses frame and a :class:`~cpmkit.feedback.pulse.template.FeedbackTaxonomy`:
no widgets, no I/O, no network. The tone comes from VADER, a lexicon- and rule-based analyser
whose lexicon ships inside the package (so it works offline), with the taxonomy's tone words
added and its tone phrases ("could be better", "no complaints") each read as one word of its own
score; the themes come from the taxonomy's keywords.

Conventions:

* ``sentiment`` is VADER's compound score, from -1 (most negative) to 1 (most positive).
  ``tone`` is negative up to -0.05, positive from 0.05, else neutral (VADER's own thresholds).
* ``themes`` holds the ids of the themes the comment mentions, in the taxonomy's order,
  joined with "|"; "" for none (counted as ``unthemed``).
* A keyword matches whole words, whatever the case and punctuation: the text is split into
  words (runs of letters and digits), and a keyword matches a run of consecutive words
  ("scope" never matches "telescope"); a word ending in * matches every word it starts.
* Listings put negative comments first: criticism is what a project can act on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, product
from typing import Final, Protocol

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.template import UNTHEMED, FeedbackTaxonomy, Theme
from cpmkit.feedback.scores import rounds

__all__ = [
    "DEFAULT_EXAMPLES",
    "NEGATIVE_UP_TO",
    "POSITIVE_FROM",
    "THEME_SEPARATOR",
    "UNTHEMED_LABEL",
    "analyse_comments",
    "negative_first",
    "theme_summary",
    "theme_trend",
]

#: VADER's thresholds: a compound score up to -0.05 is negative, from 0.05 positive.
NEGATIVE_UP_TO: Final = -0.05
POSITIVE_FROM: Final = 0.05
THEME_SEPARATOR: Final = "|"
UNTHEMED_LABEL: Final = "No theme"
#: Example comments per theme in a summary.
DEFAULT_EXAMPLES: Final = 3

_ADDED_COLUMNS: Final = ["question", "text", "sentiment", "tone", "themes"]
_SUMMARY_COLUMNS: Final = ["theme", "label", "comments", "share", "negative", "mean_sentiment", "examples"]
#: A word of a comment: a run of letters and digits.
_TOKEN = re.compile(r"[^\W_]+")
#: What joins the parts of a keyword's word ("e-mail", "didn't"), as in pulse.template's keyword
#: grammar; a comment may leave it out.
_JOINER = re.compile(r"[-'’]")


class _Analyser(Protocol):
    def polarity_scores(self, text: str) -> dict[str, float]: ...


def analyse_comments(
    frame: pd.DataFrame, taxonomy: FeedbackTaxonomy, *, text_columns: Sequence[str] = ("comment",)
) -> pd.DataFrame:
    """One row per non-blank answer in ``text_columns``: the response's other columns, then
    ``question`` (the column it came from), ``text`` (stripped), ``sentiment``, ``tone`` and
    ``themes``. Rows keep the response's index label and order (a response's answers together)."""
    columns = [text_columns] if isinstance(text_columns, str) else list(text_columns)
    if not columns:
        raise ValidationError("Name at least one column of comments to analyse.", field="text_columns")
    require_columns(frame, columns, "comment analysis")
    others = [c for c in frame.columns if c not in columns]
    clashes = [c for c in others if c in _ADDED_COLUMNS]
    if clashes:
        raise ValidationError(f"The responses already have column(s) the analysis adds: {', '.join(clashes)}.")
    parts = []
    for column in columns:
        texts = frame[column].where(frame[column].isna(), frame[column].astype(str).str.strip())
        given = (texts.notna() & (texts != "")).to_numpy()
        part = frame.loc[given, others].assign(question=column, text=texts[given], _position=np.flatnonzero(given))
        parts.append(part)
    analysed = pd.concat(parts).sort_values("_position", kind="stable").drop(columns="_position")
    analysed["text"] = analysed["text"].astype(str)
    codes, uniques = pd.factorize(analysed["text"])
    sentiment = _sentiment(list(uniques), taxonomy.tone_words, taxonomy.tone_phrases)[codes]
    analysed["sentiment"] = sentiment
    tones = [sentiment <= NEGATIVE_UP_TO, sentiment >= POSITIVE_FROM]
    analysed["tone"] = np.select(tones, ["negative", "positive"], "neutral")
    analysed["themes"] = _themes(list(uniques), taxonomy.themes)[codes]
    return analysed.astype({"sentiment": float, "tone": str, "themes": str})


def negative_first(analysed: pd.DataFrame, *, theme: str | None = None) -> pd.DataFrame:
    """Analysed comments, most negative first (equal scores keep their order); only those
    mentioning ``theme`` if given (``"unthemed"``: those mentioning none)."""
    require_columns(analysed, ["sentiment", "themes"], "list of comments")
    chosen = analysed if theme is None else analysed[_mentions(analysed["themes"], theme)]
    return chosen.sort_values("sentiment", kind="stable")


def theme_summary(
    analysed: pd.DataFrame, taxonomy: FeedbackTaxonomy, *, examples: int = DEFAULT_EXAMPLES
) -> pd.DataFrame:
    """One row per theme (and one for unthemed comments, last): how many comments mention it,
    their share of all comments (%), how many are negative, their mean sentiment and up to
    ``examples`` different ones of them, most negative first. Themes with the most negative
    comments come first, then the most mentioned, then the taxonomy's order."""
    require_columns(analysed, ["text", "sentiment", "tone", "themes"], "theme summary")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ValidationError(f"The number of examples must be a whole number, not {examples!r}.", field="examples")
    ordered = negative_first(analysed)
    flags = _theme_flags(ordered["themes"], taxonomy)
    negative = (ordered["tone"] == "negative").to_numpy()
    rows = []
    for position, (theme_id, label) in enumerate(_labels(taxonomy)):
        mentions = flags[theme_id].to_numpy()
        count = int(mentions.sum())
        rows.append(
            {
                "position": position,
                "theme": theme_id,
                "label": label,
                "comments": count,
                "share": 100 * count / len(ordered) if len(ordered) else np.nan,
                "negative": int((mentions & negative).sum()),
                "mean_sentiment": ordered["sentiment"].to_numpy()[mentions].mean() if count else np.nan,
                "examples": _different(ordered["text"].to_numpy()[mentions], examples),
            }
        )
    summary = pd.DataFrame(rows)
    themed = summary.iloc[:-1].sort_values(["negative", "comments", "position"], ascending=[False, False, True])
    return pd.concat([themed, summary.iloc[-1:]], ignore_index=True)[_SUMMARY_COLUMNS]


def _different(texts: Iterable[str], limit: int) -> tuple[str, ...]:
    """The first ``limit`` texts that differ other than in case and spacing: a comment many
    respondents gave word for word is one example, not all of them."""
    chosen: dict[str, str] = {}
    for text in texts:
        if len(chosen) == limit:
            break
        chosen.setdefault(" ".join(text.split()).casefold(), text)
    return tuple(chosen.values())


def theme_trend(analysed: pd.DataFrame, taxonomy: FeedbackTaxonomy, *, by: str = "round") -> pd.DataFrame:
    """Per round (in the order the rounds ran) and theme (taxonomy order, unthemed last): the
    comments mentioning it, their share of the round's comments (%), how many are negative,
    and their mean sentiment. Every round has a row for every theme, zero if unmentioned."""
    require_columns(analysed, [by, "submitted_at", "sentiment", "tone", "themes"], f"theme trend by {by}")
    order = rounds(analysed, by=by)[by]
    flags = _theme_flags(analysed["themes"], taxonomy)
    keys = analysed[by].to_numpy()
    negative = flags.mul((analysed["tone"] == "negative").to_numpy(), axis=0)
    sentiment = flags.mul(analysed["sentiment"].to_numpy(), axis=0)
    comments = flags.groupby(keys, sort=False).sum().reindex(order)
    per_round = flags.groupby(keys, sort=False).size().reindex(order).to_numpy()
    figures = {
        "comments": comments,
        "share": 100 * comments.div(per_round, axis=0),
        "negative": negative.groupby(keys, sort=False).sum().reindex(order),
        "mean_sentiment": sentiment.groupby(keys, sort=False).sum().reindex(order) / comments.where(comments > 0),
    }
    ids, labels = zip(*_labels(taxonomy))
    trend = pd.DataFrame(
        {
            by: np.repeat(order.to_numpy(), len(ids)),
            "theme": np.tile(ids, len(order)),
            "label": np.tile(labels, len(order)),
        }
        | {name: table[list(ids)].to_numpy().ravel() for name, table in figures.items()}
    )
    return trend.astype({"comments": int, "share": float, "negative": int, "mean_sentiment": float})


# -- sentiment -------------------------------------------------------------------------------


def _sentiment(
    texts: list[str], tone_words: tuple[tuple[str, float], ...], tone_phrases: tuple[tuple[str, float], ...]
) -> np.ndarray:
    analyser = _analyser(tone_words, tone_phrases)
    return np.fromiter((analyser.polarity_scores(text)["compound"] for text in texts), dtype=float, count=len(texts))


@functools.cache
def _analyser(tone_words: tuple[tuple[str, float], ...], tone_phrases: tuple[tuple[str, float], ...]) -> _Analyser:
    """VADER with the tone words added to (or replacing entries of) its lexicon, reading the tone phrases."""
    engine = SentimentIntensityAnalyzer()
    engine.lexicon.update(tone_words)
    if not tone_phrases:
        analyser: _Analyser = engine
        return analyser
    return _PhraseReader(engine, tone_phrases)


class _PhraseReader:
    """Reads each tone phrase in a text as one made-up word scored as the phrase, then lets VADER
    score the text: "could be better" is then hedged criticism, not "better", and VADER's own rules
    (negation before the phrase, the weight of what follows "but") still apply to it."""

    def __init__(self, engine: SentimentIntensityAnalyzer, tone_phrases: tuple[tuple[str, float], ...]) -> None:
        self._engine = engine
        for index, (_phrase, tone) in enumerate(tone_phrases):
            engine.lexicon[_phrase_word(index)] = tone
        # One named group per phrase, longest first ("could be better" wins over "could be"): the
        # match says which phrase it is, whatever case folding did to its letters (Turkish "İ").
        # A phrase is a whole word run: not inside a word, nor before "-ish" or "'s".
        by_length = sorted(range(len(tone_phrases)), key=lambda i: len(tone_phrases[i][0]), reverse=True)
        phrases = "|".join(f"(?P<{_phrase_word(i)}>{_phrase_pattern(tone_phrases[i][0])})" for i in by_length)
        self._pattern = re.compile(rf"(?<![^\W_])(?:{phrases})(?![^\W_]|[-'’][^\W_])", re.IGNORECASE)

    def polarity_scores(self, text: str) -> dict[str, float]:
        scores: dict[str, float] = self._engine.polarity_scores(self._pattern.sub(_matched_word, text))
        return scores


def _phrase_word(index: int) -> str:
    """The made-up word that stands for the tone phrase ``index`` (and names its group in the pattern)."""
    return f"cpmkittonephrase{index}"


def _matched_word(match: re.Match[str]) -> str:
    assert match.lastgroup is not None  # every alternative is a named group
    return match.lastgroup


def _phrase_pattern(phrase: str) -> str:
    """A phrase's words with any spacing between them; a hyphen or apostrophe in a word may be
    left out or written as either apostrophe ("didn't" matches "didnt" and "didn’t")."""
    return r"\s+".join(r"[-'’]?".join(map(re.escape, _JOINER.split(word))) for word in phrase.split())


# -- themes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    """One word a keyword needs at a position: exactly ``text``, or any word starting with it."""

    text: str
    stem: bool


def _sequences(keyword: str) -> list[tuple[_Term, ...]]:
    """Every run of comment words that matches ``keyword``: "e-mail*" is (email*) or (e, mail*)."""
    choices = []
    for word in keyword.casefold().split():
        parts = _JOINER.split(word.rstrip("*"))
        options = []
        for joins in product((True, False), repeat=len(parts) - 1):
            tokens = [parts[0]]
            for part, join in zip(parts[1:], joins):
                tokens[-1:] = [tokens[-1] + part] if join else [tokens[-1], part]
            last = len(tokens) - 1
            options.append(tuple(_Term(token, word.endswith("*") and i == last) for i, token in enumerate(tokens)))
        choices.append(options)
    return [tuple(chain.from_iterable(combination)) for combination in product(*choices)]


class _Words:
    """The distinct words of a batch of comments, and which of them each term matches."""

    def __init__(self, vocabulary: np.ndarray) -> None:
        self._index = {word: i for i, word in enumerate(vocabulary)}
        self._text = vocabulary.astype(str)
        self._masks: dict[_Term, np.ndarray] = {}

    def mask(self, term: _Term) -> np.ndarray:
        if term not in self._masks:
            if term.stem:
                mask = np.strings.startswith(self._text, term.text)
            else:
                mask = np.zeros(len(self._text), dtype=bool)
                if term.text in self._index:
                    mask[self._index[term.text]] = True
            self._masks[term] = mask
        return self._masks[term]


def _themes(texts: list[str], themes: Sequence[Theme]) -> np.ndarray:
    """The "|"-joined ids of the themes each text mentions ("" for none)."""
    if not texts:
        return np.array([], dtype=object)
    matrix = _theme_matrix(texts, themes)
    # Few distinct combinations: join each once. Rows packed into bytes sort far faster than bool rows.
    packed = np.packbits(matrix, axis=1)
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    joined = [THEME_SEPARATOR.join(t.id for t, hit in zip(themes, matrix[i]) if hit) for i in first]
    return np.array(joined, dtype=object)[inverse.reshape(-1)]


def _theme_matrix(texts: list[str], themes: Sequence[Theme]) -> np.ndarray:
    """``[text, theme]`` is True where the text contains one of the theme's keywords.

    All texts' words are numbered once (``codes``: one per word, in order; ``owner``: the
    text each word is in), so each keyword costs a few array operations, not a pass over
    every text.
    """
    tokens = [_TOKEN.findall(text.casefold()) for text in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    flat = np.fromiter(chain.from_iterable(tokens), dtype=object, count=int(lengths.sum()))
    codes, vocabulary = pd.factorize(flat)
    owner = np.repeat(np.arange(len(texts)), lengths)
    words = _Words(np.asarray(vocabulary, dtype=object))
    matrix = np.zeros((len(texts), len(themes)), dtype=bool)
    for column, theme in enumerate(themes):
        sequences = [sequence for keyword in theme.keywords for sequence in _sequences(keyword)]
        single = np.zeros(len(vocabulary), dtype=bool)
        for sequence in sequences:
            if len(sequence) == 1:
                single |= words.mask(sequence[0])
        starts = [np.flatnonzero(single[codes])]
        starts += [_phrase_starts(sequence, codes, owner, words) for sequence in sequences if len(sequence) > 1]
        matrix[owner[np.concatenate(starts)], column] = True
    return matrix


def _phrase_starts(sequence: tuple[_Term, ...], codes: np.ndarray, owner: np.ndarray, words: _Words) -> np.ndarray:
    """Positions of the words where ``sequence`` starts, all its words in one text."""
    starts = np.flatnonzero(words.mask(sequence[0])[codes[: max(len(codes) - len(sequence) + 1, 0)]])
    for offset, term in enumerate(sequence[1:], start=1):
        following = starts + offset
        starts = starts[words.mask(term)[codes[following]] & (owner[following] == owner[starts])]
    return starts


def _theme_flags(themes: pd.Series, taxonomy: FeedbackTaxonomy) -> pd.DataFrame:
    """One boolean column per theme id (and ``unthemed``): does each comment mention it."""
    codes, patterns = pd.factorize(themes.fillna("").astype(str))
    ids = [theme.id for theme in taxonomy.themes]
    mentioned = [set(pattern.split(THEME_SEPARATOR)) - {""} for pattern in patterns]
    unknown = sorted(set().union(*mentioned) - set(ids))
    if unknown:
        raise ValidationError(f"These themes are not in the taxonomy: {', '.join(unknown)}.", field="themes")
    table = np.array([[i in found for i in ids] + [not found] for found in mentioned], dtype=bool)
    table = table.reshape(len(patterns), len(ids) + 1)
    return pd.DataFrame(table[codes], index=themes.index, columns=[*ids, UNTHEMED])


def _mentions(themes: pd.Series, theme: str) -> pd.Series:
    if theme == UNTHEMED:
        return themes.fillna("") == ""
    return (THEME_SEPARATOR + themes.fillna("") + THEME_SEPARATOR).str.contains(
        THEME_SEPARATOR + theme + THEME_SEPARATOR, regex=False
    )


def _labels(taxonomy: FeedbackTaxonomy) -> list[tuple[str, str]]:
    """(id, label) of each theme in the taxonomy's order, then of ``unthemed``."""
    return [(theme.id, theme.label) for theme in taxonomy.themes] + [(UNTHEMED, UNTHEMED_LABEL)]
