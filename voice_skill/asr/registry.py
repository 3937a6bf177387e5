"""Choosing a recogniser: the engine settings name, or auto (Vosk given an English model, else
pocketsphinx, which needs no download). Every engine sits behind `base.Recognizer`; their wake
phrase spotters behind `wake.WakeSpotter`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, EngineError
from ..settings import AsrSettings, Settings
from . import lexicon
from .base import ENGINES, MODEL_HINT, Recognizer
from .sphinx import SPEAKER_WARPS, SphinxRecognizer, find_adaptation
from .vosk import TwoPassRecognizer, VoskRecognizer, find_vosk_model, load_vosk_model
from .wake import (
    SphinxWakeSpotter,
    VoskWakeSpotter,
    WakeSpotter,
    kws_threshold,
    vosk_min_confidence,
)


def _open_vosk(path: Path, mode: str, phrases: Sequence[str], min_confidence: float) -> Recognizer:
    model, runtime = load_vosk_model(path)
    if mode != "open" and not runtime:
        if mode == "grammar":
            raise EngineError(f"Vosk model {path} has a static graph (HCLG.fst) and cannot take "
                              "a grammar; use mode 'open' or a small model")
        recognizer = VoskRecognizer(model, path)
        recognizer.description += " (two-pass unavailable: static graph, open vocabulary only)"
        return recognizer
    if mode == "open":
        return VoskRecognizer(model, path)
    grammar = VoskRecognizer(model, path, phrases)
    if mode == "grammar":
        return grammar
    return TwoPassRecognizer(grammar, VoskRecognizer(model, path), min_confidence)


def _vosk_path(settings: AsrSettings, models_dir: Path) -> Path | None:
    return find_vosk_model(settings.model_path, models_dir)


def _open_vosk_engine(settings: AsrSettings, phrases: Sequence[str],
                      models_dir: Path) -> Recognizer:
    path = _vosk_path(settings, models_dir)
    if path is None:
        raise EngineError(f"no English Vosk model found (no --model, no $VOSK_MODEL_PATH, "
                          f"none in {models_dir}); {MODEL_HINT}")
    return _open_vosk(path, settings.mode, phrases, settings.min_confidence)


def _open_sphinx_engine(settings: AsrSettings, phrases: Sequence[str],
                        models_dir: Path) -> Recognizer:
    # AsrSettings checked types and ranges when it was built; only the machine can say
    # whether an espeak-ng voice or an adaptation exists.
    for voice in settings.accents:
        if not lexicon.espeak_has_voice(voice):
            raise ConfigError(f"asr accents: espeak-ng has no voice {voice!r} "
                              "(`espeak-ng --voices=en` lists them)")
    return SphinxRecognizer(phrases, settings.sphinx_lm,
                            noise_suppression=settings.noise_suppression,
                            accents=settings.accents,
                            adaptations=tuple(find_adaptation(n)
                                              for n in settings.sphinx_adaptations),
                            warps=SPEAKER_WARPS if settings.warp_search else ())


def _open_vosk_wake(settings: Settings, models_dir: Path, model: object | None) -> WakeSpotter:
    path = _vosk_path(settings.asr, models_dir)
    if path is None:
        raise EngineError(f"no Vosk model found for the wake phrase (no --model, no "
                          f"$VOSK_MODEL_PATH, none in {models_dir}); {MODEL_HINT}")
    voice = settings.voice
    return VoskWakeSpotter(model if model is not None else load_vosk_model(path)[0], path,
                           voice.wake_phrase, vosk_min_confidence(voice.wake_sensitivity),
                           voice.wake_refractory)


def _open_sphinx_wake(settings: Settings, models_dir: Path, model: object | None) -> WakeSpotter:
    voice = settings.voice
    return SphinxWakeSpotter(voice.wake_phrase, kws_threshold(voice.wake_sensitivity),
                             voice.wake_refractory,
                             tuple(find_adaptation(n) for n in settings.asr.sphinx_adaptations))


@dataclass(frozen=True)
class Engine:
    """One speech engine: whether it can run here, and how to open its parts."""

    name: str
    ready: Callable[[AsrSettings, Path], bool]
    """True when it has what it needs on this machine (a model), so auto may pick it."""
    recognizer: Callable[[AsrSettings, Sequence[str], Path], Recognizer]
    wake_spotter: Callable[[Settings, Path, object | None], WakeSpotter]


REGISTRY: dict[str, Engine] = {
    "vosk": Engine("vosk", lambda s, d: _vosk_path(s, d) is not None, _open_vosk_engine,
                   _open_vosk_wake),
    "pocketsphinx": Engine("pocketsphinx", lambda s, d: True, _open_sphinx_engine,
                           _open_sphinx_wake),
}
"""Engines by name, in the order auto tries them: Vosk needs a downloaded English model,
pocketsphinx ships one in its wheel."""


def choose_engine(name: str, settings: AsrSettings, models_dir: Path) -> Engine:
    """The engine named, or for auto the first in REGISTRY that is ready here."""
    if name == "auto":
        return next(engine for engine in REGISTRY.values() if engine.ready(settings, models_dir))
    if name not in REGISTRY:
        raise ConfigError(f"asr engine {name!r} is not one of {', '.join(ENGINES)}")
    return REGISTRY[name]


def open_recognizer(settings: AsrSettings, phrases: Sequence[str], models_dir: Path) -> Recognizer:
    """The recogniser settings ask for; auto is Vosk given an English model, else pocketsphinx."""
    engine = choose_engine(settings.engine, settings, models_dir)
    recognizer = engine.recognizer(settings, phrases, models_dir)
    if settings.engine == "auto" and engine.name == "pocketsphinx":
        recognizer.description += f" (auto: no English Vosk model in {models_dir})"
    return recognizer


# --- the wake phrase --------------------------------------------------------------------------


def open_wake_spotter(settings: Settings, engine: str, models_dir: Path | None = None,
                      vosk_model: object | None = None) -> WakeSpotter:
    """The spotter for settings.voice's wake phrase on engine (pocketsphinx, vosk, or auto as
    open_recognizer resolves it); vosk_model reuses a model the recogniser already loaded."""
    if models_dir is None:
        from .models import models_dir as default_models_dir

        models_dir = default_models_dir()
    chosen = choose_engine(engine, settings.asr, models_dir)
    return chosen.wake_spotter(settings, models_dir, vosk_model)
