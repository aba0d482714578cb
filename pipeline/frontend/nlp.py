"""nlp: what spaCy says about a text, and the claim tokenizer the rules run over.

spaCy gives sentences, named entities and (with the tagger) part-of-speech
tags in one pass; only the components used run (tok2vec, senter, ner and
optionally tagger). Common-noun phrases come from the tags. The rule-based
stages work on :class:`Token` lists of one claim: words and punctuation
flagged when inside quotation marks or inside an entity.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.core.progress import progress

#: NER labels (and "DICT" for actor-dictionary matches) that can name a speaker or an actor.
SPEAKER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "DICT"})
OPEN_QUOTES, CLOSE_QUOTES, STRAIGHT_QUOTE = "“", "”", '"'

_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
_PHRASE_TAGS = {"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "HYPH", "VBG", "VBN"}
_HEAD_TAGS = {"NN", "NNS"}


@dataclass
class Token:
    """A word or punctuation mark of a claim, with claim-relative offsets."""

    start: int
    end: int
    text: str
    in_quote: bool = False
    entity: int | None = None  # index into the claim's entity list

    @property
    def lower(self) -> str:
        """The token lower-cased, as the lexicon's words are."""
        return self.text.lower()


@dataclass
class Parsed:
    """What spaCy says about one text: sentence, entity and noun-phrase spans (character offsets)."""

    sentences: list[tuple[int, int]]
    entities: list[tuple[int, int, str]]
    phrases: list[tuple[int, int]] = field(default_factory=list)  # common-noun phrases (tagger only)


@lru_cache(maxsize=4)
def load_nlp(model: str, tagger: bool = False):
    """Load a spaCy pipeline with only sentence splitting, NER and (optionally) the tagger running.

    The statistical sentence recogniser (senter) replaces the parser when the
    model ships one (en_core_web_sm does, disabled by default); it is several
    times faster and the claims stage needs no dependency tree. The tagger
    (part-of-speech tags for issue noun phrases) costs a few per cent.
    """
    import spacy

    exclude = ["attribute_ruler", "lemmatizer", "morphologizer", "textcat"] + ([] if tagger else ["tagger"])
    nlp = spacy.load(model, exclude=exclude)
    if "senter" in nlp.component_names:
        if "parser" in nlp.component_names:
            nlp.remove_pipe("parser")
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
    if "senter" not in nlp.pipe_names and "parser" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


def _chunks(text: str, limit: int) -> list[tuple[int, str]]:
    """Cut a long text into pieces of at most `limit` characters, at line breaks (else spaces)."""
    if len(text) <= limit:
        return [(0, text)]
    pieces, start = [], 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + 1, end)
            if cut <= start:
                cut = text.rfind(" ", start + 1, end)
            end = cut if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def process_count(n_pieces: int, batch_size: int, n_process: int | None) -> int:
    """spaCy processes for `n_pieces` texts: `n_process` when set, else one per usable core but no
    more than there are batches (starting a process costs about a second: one article stays in-process)."""
    if n_process is not None:
        return n_process
    return max(1, min(usable_cores(), n_pieces // max(1, batch_size)))


def parse_texts(nlp, texts: list[str], batch_size: int = 16, n_process: int | None = 1,
                chunk_chars: int = 100_000) -> list[Parsed]:
    """Sentences and entities of each text, with spaCy run once over all of them."""
    pieces, owners = [], []
    for index, text in enumerate(texts):
        for offset, piece in _chunks(text, chunk_chars):
            pieces.append(piece)
            owners.append((index, offset))
    parsed = [Parsed([], []) for _ in texts]
    docs = nlp.pipe(pieces, batch_size=batch_size, n_process=process_count(len(pieces), batch_size, n_process))
    tagged = "tagger" in nlp.pipe_names
    for (index, offset), doc in progress(zip(owners, docs), "spaCy", total=len(pieces), unit="text",
                                         enabled=len(pieces) > 1):
        parsed[index].sentences += [(s.start_char + offset, s.end_char + offset) for s in doc.sents]
        parsed[index].entities += [(e.start_char + offset, e.end_char + offset, e.label_) for e in doc.ents]
        if tagged:
            tokens = [(t.idx, t.idx + len(t.text), t.tag_) for t in doc]
            parsed[index].phrases += [(a + offset, b + offset) for a, b in noun_phrases(tokens)]
    return parsed


def noun_phrases(tokens: list[tuple[int, int, str]], max_tokens: int = 6) -> list[tuple[int, int]]:
    """Common-noun phrases from part-of-speech tags: maximal runs of adjectives and nouns ending in a common noun.

    `tokens` are (start, end, Penn tag). "the US-Mexico border wall" gives
    "US-Mexico border wall"; a run of proper nouns alone ("Medicaid") is left
    to NER; a participle or gerund only counts inside a run ("proposed rule",
    not "voting"); runs longer than `max_tokens` keep their last words.
    """
    phrases, run = [], []
    for token in [*tokens, (0, 0, "END")]:
        if token[2] in _PHRASE_TAGS:
            run.append(token)
            continue
        while run and run[-1][2] not in _HEAD_TAGS:
            run.pop()
        while run and run[0][2] in {"HYPH", "VBG", "VBN"}:
            run.pop(0)
        if run:
            run = run[-max_tokens:]
            while run[0][2] == "HYPH":
                run.pop(0)
            phrases.append((run[0][0], run[-1][1]))
        run = []
    return phrases


def tokenize(text: str, entities: list[tuple[int, int, str]], open_at_start: bool = False) -> list[Token]:
    """Words and punctuation of a claim, flagged when inside quotes or an entity.

    `open_at_start`: the claim starts inside a quotation opened in an earlier
    sentence (a quotation split into sentence claims).
    """
    tokens = [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    open_ = open_at_start
    for token in tokens:
        if token.text == STRAIGHT_QUOTE:
            open_ = not open_
            continue
        if token.text in OPEN_QUOTES:
            open_ = True
            continue
        if token.text in CLOSE_QUOTES:
            open_ = False
            continue
        token.in_quote = open_
    starts = [token.start for token in tokens]  # ascending: the tokens are in text order
    for index, (start, end, _label) in enumerate(entities):
        for token in tokens[bisect_left(starts, start):bisect_left(starts, end)]:
            if token.end <= end and token.entity is None:
                token.entity = index
    return tokens


def quoted_share(text: str, open_at_start: bool = False) -> float:
    """Share of a claim's words that stand inside quotation marks."""
    tokens = [t for t in tokenize(text, [], open_at_start) if t.text[0].isalnum()]
    return sum(t.in_quote for t in tokens) / len(tokens) if tokens else 0.0


def singular(word: str) -> str:
    """The singular of a lower-cased English noun, by its ending ("officials" -> "official")."""
    word = word.lower()
    if word.endswith("people"):
        return word[:-6] + "person"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
