"""Frozen settings, one dataclass per stage, each checked when it is built: types come from the
field annotations, ranges and choices from field metadata, so no stage re-checks its values.

Where values come from (defaults < settings file < environment < command-line flags) is
`voice_skill.config`; a `SettingError` names only [section] key, and its caller adds where.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
"""The checkout the package runs from, when it runs from one (dialogs/ and models/ live here)."""

ASR_ENGINES = ("auto", "vosk", "pocketsphinx")
VOSK_MODES = ("grammar", "open", "two-pass")
SPHINX_LMS = ("generic", "domain", "mix")
START_MODES = ("always", "wake", "button")
TTS_RATES = (80, 450)
"""Speaking rates espeak-ng accepts (words per minute): espeakRATE_MINIMUM/MAXIMUM, speak_lib.h."""
RECALL_THRESHOLD = 0.65
"""Chosen by five-fold cross-validation over the tuning sets (no held-out row): the lowest that lets
the model alone add at most 1% false alarms on calm rows it was not trained on. Stop 21 (urgent
and emergency signs): 0.7 (44 of 5,519). Stop 22 (routine signs too, three runs averaged, the
likeliest level; the tuning rows alone, through SecondOpinion.review and the complaint gate),
false alarms the model adds to the rules' 168 of 4,271 calm rows, and red flags missed
(emergency, urgent, routine; the rules alone: 8, 20, 29): 0.6: 44 (1.03%), 2, 3, 11; 0.65: 40
(0.94%), 2, 3, 12; 0.7: 30 (0.70%), 2, 3, 15; 0.8: 18 (0.42%), 4, 7, 15. 0.65 and 0.7 miss the
same emergencies and urgent rows; 0.7 trades 3 routine rows for 10 fewer false alarms, and keeps
a margin for the sum over 29 classes, which a diffuse reading of a calm message nears. Stop 24
(tuning sets 1-54, 5,361 calm rows; the rules alone miss 24, 30, 39 and fire on 217): 0.6: 57
(1.07%), 2, 6, 13; 0.65: 46 (0.86%), 3, 6, 13; 0.7: 39 (0.73%), 4, 7, 14; 0.8: 21 (0.39%), 6, 9,
17. With sets 47-51 alone it was 0.65: 46 (0.93%), 3, 6, 14 and 0.7: 32 (0.64%), 3, 7, 14. 0.65
now misses an emergency and an urgent row fewer than 0.7 in both runs and stays inside the 1%, so
it is the threshold; 0.6 is over it. The same threshold serves all levels, and speech: a sign the
model adds to a spoken question is asked back, not escalated (nlu.doubt). On the room-tuning
voices (bench/eval_spoken.py --synth room-tuning, 979 calm and 264 red-flag recordings, their
best transcripts re-read), calm recordings asked and red flags caught by the model: 0.7: 27, 14;
0.8: 20, 8; 0.9: 12, 7; 0.95: 5, 3. Raising it for speech gives up a red flag caught for about
every calm question it spares."""
CONFIRM_BELOW = 0.2
"""Word confidence below which a red flag resting on the word is asked back. pocketsphinx on the
development questions (bench/bench_confidence.py, plain model): a word below 0.2 is wrong as
often as right or more (flite 79 of 150 words, espeak-ng 499 of 753, flite and espeak-ng in
noise 439 of 569). Of the best reading's red flags it asks back: flite 7 of 69 real ones and 0
of 4 false alarms, espeak-ng 15 of 99 and 1 of 4, in noise 6 of 21 and all 4 (0.00-0.02). No
lower threshold for emergencies: in noise real and false ones overlap at 0.00-0.03."""


def shipped_dialogs() -> Path:
    """The content that ships with the skill: a wheel carries it inside the package
    (pyproject.toml maps dialogs/ to voice_skill/dialogs); a checkout keeps it in dialogs/."""
    packaged = PACKAGE_DIR / "dialogs"
    return packaged if packaged.is_dir() else PROJECT_ROOT / "dialogs"


def between(low: float, high: float, unit: str = "") -> dict[str, object]:
    """Field metadata: an inclusive range, and the unit error messages name."""
    return {"range": (low, high), "unit": unit}


def one_of(*choices: str) -> dict[str, object]:
    """Field metadata: the only values a text setting may take."""
    return {"choices": choices}


# --- the check ---------------------------------------------------------------------------------


class SettingError(ConfigError):
    """One setting is wrong; `located` names where it came from (file, variable or flag)."""

    def __init__(self, section: str, key: str, problem: str) -> None:
        super().__init__(f"[{section}] {key}: {problem}")
        self.section, self.key, self.problem = section, key, problem

    def located(self, where: str) -> ConfigError:
        """The same error, prefixed by its source: a file path, $VARIABLE or --flag."""
        if where.startswith("--"):
            return ConfigError(f"{where}: {self.problem}")
        return ConfigError(f"{where}: [{self.section}] {self.key}: {self.problem}")


def describe(value: object) -> str:
    """A value as an error message shows it: 'the string "0.6"', '9', 'true'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, (list, tuple)):
        return f"the list {json.dumps(list(value), ensure_ascii=False, default=str)}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, Path):
        return f"the path {value}"
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _number(value: float) -> str:
    return f"{value:g}"


def expected(kind: Any, metadata: typing.Mapping[str, Any]) -> str:
    """What a field accepts, in words: 'a number of seconds between 0.1 and 5'."""
    if "choices" in metadata:
        return "one of " + ", ".join(json.dumps(c) for c in metadata["choices"])
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "text",
             Path: "a path"}.get(kind, "a list of text")
    if kind in (int, float):
        unit = metadata.get("unit")
        words += f" of {unit}" if unit else ""
        if "range" in metadata:
            low, high = metadata["range"]
            words += f" between {_number(low)} and {_number(high)}"
    return words


def _optional(annotation: Any) -> tuple[Any, bool]:
    """(X, True) for `X | None`, else (annotation, False)."""
    if isinstance(annotation, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return kinds[0], len(kinds) < len(typing.get_args(annotation))
    return annotation, False


def _typed(value: object, kind: Any) -> object:
    """value converted to kind, or a ValueError: ints are fine for floats, text for paths,
    lists for tuples; bool is never taken for a number (TOML keeps them apart, Python not)."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str) and value:
        return Path(value)
    if typing.get_origin(kind) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise ValueError
    if isinstance(kind, type) and isinstance(value, kind) and not (
            isinstance(value, bool) and kind is not bool):
        return value
    raise ValueError


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _field(cls: type, name: str) -> tuple[typing.Mapping[str, Any], Any, bool]:
    """A field's metadata, its type without None, and whether None is allowed."""
    spec = next(f for f in dataclasses.fields(cls) if f.name == name)
    return (spec.metadata, *_optional(_hints(cls)[name]))


def _fits(value: object, metadata: typing.Mapping[str, Any]) -> bool:
    if "choices" in metadata and value not in metadata["choices"]:
        return False
    low, high = metadata.get("range", (None, None))
    return low is None or low <= value <= high  # type: ignore[operator]


def checked_value(cls: type, name: str, value: object) -> object:
    """The value one field of a stage accepts (converted to its type), else SettingError."""
    metadata, kind, optional = _field(cls, name)
    if value is None and optional:
        return None
    try:
        converted = _typed(value, kind)
        if _fits(converted, metadata):
            return converted
    except ValueError:
        pass
    raise SettingError(getattr(cls, "SECTION", cls.__name__), name,
                       f"expected {expected(kind, metadata)}, got {describe(value)}")


class Stage:
    """Base of the per-stage dataclasses: every field is checked when one is built."""

    SECTION: ClassVar[str]
    """The [section] of the settings file."""

    def __post_init__(self) -> None:
        stage: type = type(self)
        for name in _names(stage):
            value = checked_value(stage, name, getattr(self, name))
            object.__setattr__(self, name, value)  # frozen: normalise in place, once


# --- the stages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentSettings(Stage):
    SECTION = "content"

    dialogs_dir: Path = field(default_factory=shipped_dialogs)
    """Folder of dialog, red-flag and dialog-test YAML files."""


@dataclass(frozen=True)
class MatchSettings(Stage):
    SECTION = "match"

    answer_threshold: float = field(default=60.0, metadata=between(0, 100))
    """Score (0-100) at or above which the best dialog is answered."""
    fallback_threshold: float = field(default=48.0, metadata=between(0, 100))
    """Score below which the input is out of scope and gets the fallback."""
    clarify_margin: float = field(default=4.0, metadata=between(0, 100))
    """Two topics within this many points (above the fallback line) trigger 'Did you mean A or
    B?'."""
    confident_threshold: float = field(default=90.0, metadata=between(0, 100))
    """At or above this score the best dialog is answered even when another is close."""

    def __post_init__(self) -> None:
        super().__post_init__()
        # Out of order, some scores would be both answered and out of scope.
        if not self.fallback_threshold <= self.answer_threshold <= self.confident_threshold:
            raise SettingError(self.SECTION, "answer_threshold", (
                f"expected fallback_threshold <= answer_threshold <= confident_threshold, got "
                f"{self.fallback_threshold:g}, {self.answer_threshold:g}, "
                f"{self.confident_threshold:g}"))


@dataclass(frozen=True)
class SafetySettings(Stage):
    SECTION = "safety"

    emergency_number: str = "911 or your local emergency number"
    """Spoken in emergency advice: 'call {emergency_number} now'."""
    confirm: bool = True
    """Speech only: a red flag the recogniser was unsure of (heard only in a next-best reading,
    or on a word below confirm_below) is asked back ("Did you mention weakness?") instead of
    escalating at once; a yes escalates, a no answers."""
    confirm_below: float = field(default=CONFIRM_BELOW, metadata=between(0, 1))
    """A red flag resting on a word heard with less confidence than this (0..1) is asked back."""
    recall: bool = True
    """A learned second opinion (nlu/recall.py) escalates a message it is sure tells of a routine,
    urgent or emergency sign where no rule of that level fired. It never calms a rule down. In
    speech its escalation is asked back first (confirm). Off: the rules alone decide."""
    recall_threshold: float = field(default=RECALL_THRESHOLD, metadata=between(0.5, 1))
    """How sure (0.5..1) the second opinion must be that a level's sign is told."""
    recall_model: Path | None = None
    """A model file written by scripts/train_recall.py; unset: the shipped one."""


@dataclass(frozen=True)
class DialogSettings(Stage):
    SECTION = "dialog"

    idle_reset_seconds: float = field(default=120.0, metadata=between(1, 3600, "seconds"))
    """After this long without input the conversation forgets its topic and pending question."""
    safety_check: bool = True
    """Ask once per session, before the first answer to someone reporting twitching, cramps or
    leg pain, whether there is any new weakness, numbness, bladder or bowel trouble or spreading."""


@dataclass(frozen=True)
class AudioSettings(Stage):
    SECTION = "audio"

    device: str | None = None
    """Input device: an index or part of its name; None for the system default."""
    sample_rate: int = field(default=16000, metadata={"choices": (16000,)})
    """Rate the recognisers are fed (hertz); any native device rate is converted to it."""
    trailing_silence: float = field(default=0.6, metadata=between(0.1, 5, "seconds"))
    """Silence that ends an utterance (seconds)."""
    max_utterance: float = field(default=15.0, metadata=between(1, 120, "seconds"))
    """Longest utterance before it is cut and recognised anyway (seconds)."""
    calibration: float = field(default=0.5, metadata=between(0.1, 5, "seconds"))
    """Noise-floor calibration at start-up (seconds)."""
    min_speech: float = field(default=0.25, metadata=between(0, 1, "seconds"))
    """Shorter bursts are noise and never reach the recogniser (seconds)."""
    pre_roll: float = field(default=0.3, metadata=between(0, 1, "seconds"))
    """Audio kept before the detected onset, so first phonemes are not clipped (seconds)."""
    early_end_silence: float = field(default=0.25, metadata=between(0.05, 5, "seconds"))
    """Silence that ends an utterance once the recogniser says the phrase is complete (seconds)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_utterance <= self.min_speech:  # every utterance would be cut as noise
            raise SettingError(self.SECTION, "max_utterance", (
                f"expected more seconds than min_speech ({self.min_speech:g}), "
                f"got {self.max_utterance:g}"))


@dataclass(frozen=True)
class AsrSettings(Stage):
    SECTION = "asr"

    engine: str = field(default="auto", metadata=one_of(*ASR_ENGINES))
    """auto, vosk or pocketsphinx."""
    model_path: Path | None = None
    """Vosk model folder; None searches VOSK_MODEL_PATH, then models/."""
    mode: str = field(default="two-pass", metadata=one_of(*VOSK_MODES))
    """Vosk decoding: grammar, open, or two-pass (grammar first, open vocabulary when unsure)."""
    min_confidence: float = field(default=0.8, metadata=between(0, 1))
    """Two-pass: a grammar-pass word below this confidence (0..1) hands over to the open pass."""
    sphinx_lm: str = field(default="mix", metadata=one_of(*SPHINX_LMS))
    """pocketsphinx language model: generic, domain (phrases only) or mix (phrases + common
    words)."""
    noise_suppression: bool = True
    """pocketsphinx: subtract steady background noise from an utterance decoded whole."""
    accents: tuple[str, ...] = ("en-gb",)
    """pocketsphinx: espeak-ng voices whose pronunciations of the dialogs' words are added to
    the American dictionary (for example en-gb, en-gb-scotland, en-029); empty for American only."""
    sphinx_adaptations: tuple[str, ...] = ()
    """pocketsphinx: adaptations of its model, each decoded beside the plain model (the best
    reading wins): shipped ones by name (espeak-ng) or paths of MLLR transform files or MAP
    folders (scripts/build_adaptation.py); empty (the default) for the plain model only.
    Off by default: the shipped espeak-ng adaptation helps espeak-ng's own synthetic voices
    only (chosen for 0 of 339 flite files, 2 of 339 festival files and none of the human
    recordings, issue 3's measurement) and each adaptation doubles decoding CPU."""
    warp_search: bool = True
    """pocketsphinx: also hear each utterance as from a longer and a shorter vocal tract
    (asr.sphinx.SPEAKER_WARPS), the best-scoring reading winning: voices far from the model's,
    as children's or deep ones, are recognised better (held-out voices 300 cents down, through
    the skill: intent 0.511 -> 0.618). Streamed, the two extra decoders hear only the first
    half second; a whole recording is read by all three. false: the plain model only."""


@dataclass(frozen=True)
class ModelsSettings(Stage):
    """Speech models: the offer of the recommended English Vosk model."""

    SECTION = "models"

    offer: bool = True
    """Ask once, when the skill or doctor starts at a terminal without an English Vosk model,
    whether to download the recommended one; false never asks."""


@dataclass(frozen=True)
class TtsSettings(Stage):
    SECTION = "tts"

    voice: str | None = None
    """pyttsx3 voice id or part of its name; None for the engine default."""
    rate: int = field(default=165, metadata=between(*TTS_RATES, "words per minute"))
    """Speaking rate (words per minute)."""
    volume: float = field(default=1.0, metadata=between(0, 1))
    """0.0 to 1.0."""
    timeout: float = field(default=5.0, metadata=between(0.5, 60, "seconds"))
    """A speech engine silent for longer than this is considered hung and restarted (seconds)."""


@dataclass(frozen=True)
class VoiceSettings(Stage):
    """The hands-free session (`listen`): how a turn starts, what it sounds like."""

    SECTION = "voice"

    start: str = field(default="always", metadata={"choices": START_MODES})
    """always: every utterance is a question; wake: only after the wake phrase; button: after a
    press (Enter on the terminal, or the GPIO button)."""
    wake_phrase: str = "hey computer"
    """Spoken to start a turn when start = "wake" (two or three words spot best)."""
    # bench/bench_wake.py, pocketsphinx, 13 synthetic voices x 7 items (91), false wakes in
    # 23.6 minutes of the development questions (4 voices) and pocketsphinx-testdata people.
    # "hey helper" (0.5 / 0.625 / 0.75 / 1.0): heard 77 / 81 / 84 / 84, false wakes 2.5 / 2.5 /
    # 7.6 / 35.6 an hour, and it woke inside questions with "help" in them ("does stretching
    # help"), which this skill hears all day. "hey computer": heard 70 / 74 / 77 / 79, no false
    # wake at any sensitivity and none inside a question. 0.75 (kws_threshold 1e-30) hears
    # most of what is said to it with nothing heard that was not.
    wake_sensitivity: float = field(default=0.75, metadata={"range": (0.0, 1.0)})
    """0..1: higher hears the wake phrase more readily, and false wakes more often."""
    wake_refractory: float = field(default=2.0, metadata=between(0, 60, "seconds"))
    """After a wake, another wake within this long is ignored (seconds)."""
    follow_up: float = field(default=6.0, metadata=between(0, 60, "seconds"))
    """After an answer, a follow-up question needs no wake phrase for this long (seconds)."""
    earcons: bool = True
    """A short tone when listening starts and stops."""
    earcon_volume: float = field(default=0.3, metadata={"range": (0.0, 1.0)})
    """Loudness of the tones, 0..1 of full scale."""
    barge_in: bool = True
    """"stop", "wait" or a new question interrupts a spoken answer."""
    captions: bool = True
    """Live captions on the terminal; false for a quiet service (the log still says what
    happened)."""
    button_gpio: int | None = field(default=None, metadata=between(0, 27, "BCM pin"))
    """BCM pin of a push-to-talk button (needs gpiozero); None for Enter on the terminal."""


@dataclass(frozen=True)
class PrivacySettings(Stage):
    """Nothing spoken is kept unless the owner opts in."""

    SECTION = "privacy"

    log_unanswered: bool = False
    """Keep a text-only log of questions the skill could not answer, for content editors."""
    unanswered_log: Path | None = None
    """Where that log goes; None for the platform's state folder."""
    retention_days: int = field(default=30, metadata=between(1, 3650, "days"))
    """Entries older than this are deleted (days)."""


@dataclass(frozen=True)
class Settings:
    content: ContentSettings = field(default_factory=ContentSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    dialog: DialogSettings = field(default_factory=DialogSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)


@functools.cache
def _names(stage: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in dataclasses.fields(stage))


def field_specs(stage: type[Stage]) -> tuple[dataclasses.Field[Any], ...]:
    """The fields of a stage's dataclass, in order."""
    return dataclasses.fields(typing.cast(Any, stage))


def stages() -> dict[str, type[Stage]]:
    """Each [section] name and the dataclass it builds, in file order."""
    return {spec.name: _hints(Settings)[spec.name] for spec in dataclasses.fields(Settings)}
