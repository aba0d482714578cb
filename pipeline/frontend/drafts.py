"""drafts: a claim under construction, and the attribution found for it.

The claims, attribution and coreference modules fill a :class:`ClaimDraft`
in turn: its span and entities, then its speaker and cue, then the
speaker resolved against the article, then its resolved pronouns and
nominals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DIRECT, REPORTED, NARRATIVE = "direct quote", "reported speech", "narrative"
NAMED, PRONOUN, ROLE = "named", "pronoun", "role"
#: Kinds of the claims table's `entities` (see ``CLAIM_ENTITY`` in :mod:`pipeline.core.tables`).
NER_ENTITY, PRONOUN_REFERENCE, NOMINAL_REFERENCE, NOUN_PHRASE = "entity", "pronoun", "nominal", "phrase"


@dataclass
class Attribution:
    """Who speaks a claim and how; offsets are claim-relative."""

    speaker: str
    speaker_type: str
    start: int
    end: int
    cue: str
    label: str | None = None


@dataclass
class ClaimDraft:
    """A claim before its speaker is resolved against the article."""

    start: int
    end: int
    n_sentences: int
    text: str = ""
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    attribution: Attribution | None = None
    kind: str = NARRATIVE
    resolved: str | None = None
    affiliation: str | None = None
    number: str | None = None  # "singular" | "plural" | "group" for pronoun matching
    pronouns: list[tuple[int, int, str, str]] = field(default_factory=list)  # (start, end, actor, type) resolved
    resolved_is_role: bool = False
    opens_in_quote: bool = False  # the claim starts inside a quotation opened in an earlier sentence
    group: int = 0  # index of the quotation group (sentences of one quotation share a group)
    phrases: list[tuple[int, int]] = field(default_factory=list)  # noun phrases, claim-relative
    nominals: list[tuple[int, int, str, str]] = field(default_factory=list)  # (start, end, actor, type) "the president"
