"""How well cpmkit's comment tone matches people's reading of project feedback, against plain VADER.

Reads the labelled comments in tests/data/comment_tone.csv (see tests/data/README.md), gives each
a tone twice, with plain VADER (compound >= 0.05 positive, <= -0.05 negative, else neutral) and
with cpmkit (``comments.analyse_comments`` and the default ``templates/feedback_themes.yaml``),
and prints accuracy, macro-F1 and a confusion matrix for both: on the whole set, on the part
the tone rules were written from, and on the held-out part (every 5th comment), which was not
looked at while writing them. Offline; takes about a second.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cpmkit.feedback.comments import NEGATIVE_UP_TO, POSITIVE_FROM, analyse_comments
from cpmkit.feedback.pulse.template import feedback_taxonomy

LABELS: Final = ("negative", "neutral", "positive")
DATA: Final = Path(__file__).resolve().parents[1] / "tests" / "data" / "comment_tone.csv"
#: Every HOLD_OUT-th comment (the 5th, 10th...) is held out from writing the rules.
HOLD_OUT: Final = 5


def load(path: Path = DATA) -> tuple[list[str], list[str]]:
    """The comments and their labels, in file order; a label outside LABELS is an error."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    unknown = {row["label"] for row in rows} - set(LABELS)
    if unknown:
        raise ValueError(f"{path.name}: unknown labels {sorted(unknown)}")
    return [row["comment"] for row in rows], [row["label"] for row in rows]


def held_out(position: int) -> bool:
    """Whether the comment at ``position`` (0-based, file order) is in the held-out part."""
    return position % HOLD_OUT == HOLD_OUT - 1


def vader_tones(texts: Sequence[str]) -> list[str]:
    """Plain VADER's tone of each text, with its own lexicon and thresholds."""
    analyser = SentimentIntensityAnalyzer()
    return [_tone(analyser.polarity_scores(text)["compound"]) for text in texts]


def cpmkit_tones(texts: Sequence[str]) -> list[str]:
    """cpmkit's tone of each text, as workbook 4 shows it."""
    analysed = analyse_comments(pd.DataFrame({"comment": list(texts)}), feedback_taxonomy())
    return list(analysed["tone"])


def _tone(compound: float) -> str:
    return "negative" if compound <= NEGATIVE_UP_TO else "positive" if compound >= POSITIVE_FROM else "neutral"


def confusion(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> list[list[int]]:
    """``[i][j]``: how many comments labelled ``labels[i]`` were given ``labels[j]``."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} labels but {len(predicted)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for true, guess in zip(truth, predicted):
        matrix[index[true]][index[guess]] += 1
    return matrix


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The share of comments given their label (0 for none)."""
    matrix = confusion(truth, predicted, sorted(set(truth) | set(predicted)))
    return sum(matrix[i][i] for i in range(len(matrix))) / len(truth) if truth else 0.0


def macro_f1(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> float:
    """The mean over ``labels`` of each label's F1 (harmonic mean of precision and recall); a
    label with no true and no predicted comment scores 0, as in scikit-learn."""
    matrix = confusion(truth, predicted, labels)
    scores = []
    for i in range(len(labels)):
        hits = matrix[i][i]
        given = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        scores.append(2 * hits / (given + actual) if given + actual else 0.0)
    return sum(scores) / len(scores)


def _report(name: str, truth: Sequence[str], tones: dict[str, Sequence[str]]) -> list[str]:
    lines = [f"{name} ({len(truth)} comments)", f"  {'':8} {'accuracy':>9} {'macro-F1':>9}"]
    figures = {method: (accuracy(truth, found), macro_f1(truth, found)) for method, found in tones.items()}
    lines += [f"  {method:8} {acc:9.3f} {f1:9.3f}" for method, (acc, f1) in figures.items()]
    (acc_base, f1_base), (acc_new, f1_new) = figures["VADER"], figures["cpmkit"]
    lines.append(f"  {'ratio':8} {acc_new / acc_base:9.2f} {f1_new / f1_base:9.2f}   (cpmkit / VADER)")
    return lines


def _matrix(method: str, truth: Sequence[str], found: Sequence[str]) -> list[str]:
    width = max(map(len, LABELS)) + 1
    lines = [
        f"{method}: rows are the labels, columns the tone given",
        " " * width + "".join(f"{x:>10}" for x in LABELS),
    ]
    for label, row in zip(LABELS, confusion(truth, found)):
        lines.append(f"{label:<{width}}" + "".join(f"{count:>10}" for count in row))
    return lines


def main() -> int:
    texts, truth = load()
    tones = {"VADER": vader_tones(texts), "cpmkit": cpmkit_tones(texts)}
    parts = {
        "whole set": [True] * len(texts),
        "rules written from (4 in 5)": [not held_out(i) for i in range(len(texts))],
        "held out (every 5th)": [held_out(i) for i in range(len(texts))],
    }
    for name, chosen in parts.items():
        picked = [i for i, keep in enumerate(chosen) if keep]
        part = {method: [found[i] for i in picked] for method, found in tones.items()}
        print("\n".join(_report(name, [truth[i] for i in picked], part)), end="\n\n")
    for method, found in tones.items():
        print("\n".join(_matrix(f"{method}, whole set", truth, found)), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
