"""A small question bank the soft-skills tests share: three competencies, six items, one reverse."""

from __future__ import annotations

from cpmkit.soft_skills.bank import Competency, Item, QuestionBank, Scale

SCALE = Scale(((1, "never"), (2, "rarely"), (3, "sometimes"), (4, "often"), (5, "always")))
BANK = QuestionBank(
    name="Test bank",
    scale=SCALE,
    competencies=(
        Competency("listen", "Active listening", "About listening.", ("Listen more",)),
        Competency("conflict", "Handling conflict", "About conflict.", ("Name it",)),
        Competency("feedback", "Giving feedback", "About feedback.", ("Ask often",)),
    ),
    items=(
        Item("L1", "listen", "I listen", "test"),
        Item("L2", "listen", "I wait", "test"),
        Item("C1", "conflict", "I name it", "test"),
        Item("C2", "conflict", "I avoid it", "test", True),
        Item("F1", "feedback", "I ask", "test"),
        Item("F2", "feedback", "I give", "test"),
    ),
)
