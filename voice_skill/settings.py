"""Frozen settings, one dataclass per stage; a TOML file is read once, at the edge.

Precedence: built-in defaults < settings file < command-line flags (applied in __main__).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
"""The checkout the package runs from, when it runs from one (dialogs/ and models/ live here)."""


def shipped_dialogs() -> Path:
    """The content that ships with the skill: a wheel carries it inside the package
    (pyproject.toml maps dialogs/ to voice_skill/dialogs); a checkout keeps it in dialogs/."""
    packaged = PACKAGE_DIR / "dialogs"
    return packaged if packaged.is_dir() else PROJECT_ROOT / "dialogs"

DEFAULT_CONFIG_PATHS = (
    Path("voice-skill.toml"),
    Path.home() / ".config" / "voice-skill" / "config.toml",
)


@dataclass(frozen=True)
class ContentSettings:
    dialogs_dir: Path = field(default_factory=shipped_dialogs)
    """Folder of dialog, red-flag and dialog-test YAML files."""


@dataclass(frozen=True)
class MatchSettings:
    answer_threshold: float = 60.0
    """Score (0-100) at or above which the best dialog is answered."""
    fallback_threshold: float = 48.0
    """Score below which the input is out of scope and gets the fallback."""
    clarify_margin: float = 4.0
    """Two topics within this many points (above the fallback line) trigger 'Did you mean A or B?'."""
    confident_threshold: float = 90.0
    """At or above this score the best dialog is answered even when another is close."""


@dataclass(frozen=True)
class SafetySettings:
    emergency_number: str = "911 or your local emergency number"
    """Spoken in emergency advice: 'call {emergency_number} now'."""


@dataclass(frozen=True)
class DialogSettings:
    idle_reset_seconds: float = 120.0
    """After this long without input the conversation forgets its topic and pending question."""
    safety_check: bool = True
    """Ask once per session, before the first answer to someone reporting twitching, cramps or
    leg pain, whether there is any new weakness, numbness, bladder or bowel trouble or spreading."""

    def __post_init__(self) -> None:
        # TOML gives the type the editor wrote; "yes" would be truthy and silently mean on.
        if not isinstance(self.safety_check, bool):
            raise ConfigError(f"[dialog] safety_check must be true or false, "
                              f"not {self.safety_check!r}")


@dataclass(frozen=True)
class AudioSettings:
    device: str | None = None
    """Input device: an index or part of its name; None for the system default."""
    sample_rate: int = 16000
    """Rate the recognisers are fed (hertz); any native device rate is converted to it."""
    trailing_silence: float = 0.6
    """Silence that ends an utterance (seconds)."""
    max_utterance: float = 15.0
    """Longest utterance before it is cut and recognised anyway (seconds)."""
    calibration: float = 0.5
    """Noise-floor calibration at start-up (seconds)."""
    min_speech: float = 0.25
    """Shorter bursts are noise and never reach the recogniser (seconds)."""
    pre_roll: float = 0.3
    """Audio kept before the detected onset, so first phonemes are not clipped (seconds)."""
    early_end_silence: float = 0.25
    """Silence that ends an utterance once the recogniser says the phrase is complete (seconds)."""


@dataclass(frozen=True)
class AsrSettings:
    engine: str = "auto"
    """auto, vosk or pocketsphinx."""
    model_path: Path | None = None
    """Vosk model folder; None searches VOSK_MODEL_PATH, then models/."""
    mode: str = "two-pass"
    """Vosk decoding: grammar, open, or two-pass (grammar first, open vocabulary when unsure)."""
    min_confidence: float = 0.8
    """Two-pass: a grammar-pass word below this confidence (0..1) hands over to the open pass."""
    sphinx_lm: str = "mix"
    """pocketsphinx language model: generic, domain (phrases only) or mix (phrases + common words)."""
    noise_suppression: bool = True
    """pocketsphinx: subtract steady background noise from an utterance decoded whole."""
    accents: tuple[str, ...] = ("en-gb",)
    """pocketsphinx: espeak-ng voices whose pronunciations of the dialogs' words are added to
    the American dictionary (for example en-gb, en-gb-scotland, en-029); empty for American only."""
    sphinx_adaptations: tuple[str, ...] = ("espeak-ng",)
    """pocketsphinx: adaptations of its model, each decoded beside the plain model (the best
    reading wins): shipped ones by name (espeak-ng) or paths of MLLR transform files or MAP
    folders (scripts/build_adaptation.py); empty for the plain model only."""


@dataclass(frozen=True)
class TtsSettings:
    voice: str | None = None
    """pyttsx3 voice id or part of its name; None for the engine default."""
    rate: int = 165
    """Speaking rate (words per minute)."""
    volume: float = 1.0
    """0.0 to 1.0."""
    timeout: float = 5.0
    """A speech engine silent for longer than this is considered hung and restarted (seconds)."""


START_MODES = ("always", "wake", "button")


@dataclass(frozen=True)
class VoiceSettings:
    """The hands-free session (`listen`): how a turn starts, what it sounds like."""

    start: str = field(default="always", metadata={"choices": START_MODES})
    """always: every utterance is a question; wake: only after the wake phrase; button: after a
    press (Enter on the terminal, or the GPIO button)."""
    wake_phrase: str = "hey helper"
    """Spoken to start a turn when start = "wake" (two or three words spot best)."""
    wake_sensitivity: float = field(default=0.5, metadata={"range": (0.0, 1.0)})
    """0..1: higher hears the wake phrase more readily, and false wakes more often."""
    wake_refractory: float = field(default=2.0, metadata={"range": (0.0, 60.0)})
    """After a wake, another wake within this long is ignored (seconds)."""
    follow_up: float = field(default=6.0, metadata={"range": (0.0, 60.0)})
    """After an answer, a follow-up question needs no wake phrase for this long (seconds)."""
    earcons: bool = True
    """A short tone when listening starts and stops."""
    earcon_volume: float = field(default=0.3, metadata={"range": (0.0, 1.0)})
    """Loudness of the tones, 0..1 of full scale."""
    barge_in: bool = True
    """"stop", "wait" or a new question interrupts a spoken answer."""
    captions: bool = True
    """Live captions on the terminal; false for a quiet service (the log still says what happened)."""
    button_gpio: int | None = field(default=None, metadata={"range": (0, 27)})
    """BCM pin of a push-to-talk button (needs gpiozero); None for Enter on the terminal."""


@dataclass(frozen=True)
class PrivacySettings:
    """Nothing spoken is kept unless the owner opts in."""

    log_unanswered: bool = False
    """Keep a text-only log of questions the skill could not answer, for content editors."""
    unanswered_log: Path | None = None
    """Where that log goes; None for the platform's state folder."""
    retention_days: int = field(default=30, metadata={"range": (1, 3650)})
    """Entries older than this are deleted (days)."""


@dataclass(frozen=True)
class Settings:
    content: ContentSettings = field(default_factory=ContentSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    dialog: DialogSettings = field(default_factory=DialogSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)


_PATH_FIELDS = {"dialogs_dir", "model_path", "unanswered_log"}


def _section(cls: type, name: str, values: object, origin: str) -> object:
    """Build one stage's dataclass from a TOML table, rejecting unknown keys."""
    if not isinstance(values, dict):
        raise ConfigError(f"{origin}: [{name}] must be a table")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{origin}: unknown key {unknown[0]!r} in [{name}]")
    converted = {k: Path(v) if k in _PATH_FIELDS else v for k, v in values.items()}
    try:
        return cls(**converted)
    except ConfigError as error:  # a stage's own check, which cannot know the file
        raise ConfigError(f"{origin}: {error}") from None


def settings_from_toml(text: str, origin: str = "<settings>") -> Settings:
    """Parse settings TOML text; unknown sections or keys are errors, not silently ignored."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: {error}") from None
    stages = {name: type(stage) for name, stage in vars(Settings()).items()}
    unknown = sorted(set(data) - set(stages))
    if unknown:
        raise ConfigError(f"{origin}: unknown section [{unknown[0]}]")
    built = {name: _section(stages[name], name, data[name], origin) for name in data}
    return Settings(**built)  # type: ignore[arg-type]


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file given, or the first default one that exists, or use defaults."""
    if path is None:
        env = os.environ.get("VOICE_SKILL_CONFIG")
        candidates = [Path(env)] if env else [p for p in DEFAULT_CONFIG_PATHS if p.is_file()]
        if not candidates:
            return Settings()
        path = candidates[0]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read settings ({error.strerror})") from None
    return settings_from_toml(text, str(path))
