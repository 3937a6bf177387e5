"""Choosing a recogniser: the engine settings name, or auto (Vosk given an English model, else
pocketsphinx, which needs no download). Every engine sits behind `base.Recognizer`; their wake
phrase spotters behind `wake.WakeSpotter`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError, EngineError
from ..settings import AsrSettings, Settings
from . import lexicon
from .base import ENGINES, MODEL_HINT, Recognizer
from .sphinx import SphinxRecognizer, find_adaptation
from .vosk import TwoPassRecognizer, VoskRecognizer, find_vosk_model, load_vosk_model
from .wake import (
    SphinxWakeSpotter,
    VoskWakeSpotter,
    WakeSpotter,
    kws_threshold,
    vosk_min_confidence,
)

# --- choosing an engine -----------------------------------------------------------------------


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


def open_recognizer(settings: AsrSettings, phrases: Sequence[str], models_dir: Path) -> Recognizer:
    """The recogniser settings ask for; auto is Vosk given an English model, else pocketsphinx."""
    # AsrSettings checked engine, mode and types when it was built; only the machine can
    # say whether a voice or a model exists.
    if settings.engine != "pocketsphinx":
        path = find_vosk_model(settings.model_path, models_dir)
        if path is not None:
            return _open_vosk(path, settings.mode, phrases, settings.min_confidence)
        if settings.engine == "vosk":
            raise EngineError(f"no English Vosk model found (no --model, no $VOSK_MODEL_PATH, "
                              f"none in {models_dir}); {MODEL_HINT}")
    for voice in settings.accents:
        if not lexicon.espeak_has_voice(voice):
            raise ConfigError(f"asr accents: espeak-ng has no voice {voice!r} "
                              "(`espeak-ng --voices=en` lists them)")
    recognizer = SphinxRecognizer(phrases, settings.sphinx_lm,
                                  noise_suppression=settings.noise_suppression,
                                  accents=settings.accents,
                                  adaptations=tuple(find_adaptation(n)
                                                    for n in settings.sphinx_adaptations))
    if settings.engine == "auto":
        recognizer.description += f" (auto: no English Vosk model in {models_dir})"
    return recognizer


# --- the wake phrase --------------------------------------------------------------------------


def open_wake_spotter(settings: Settings, engine: str, models_dir: Path | None = None,
                      vosk_model: object | None = None) -> WakeSpotter:
    """The spotter for settings.voice's wake phrase (VoiceSettings checks its values) on engine
    (pocketsphinx, vosk, or auto as open_recognizer resolves it); vosk_model reuses a model the
    recogniser already loaded."""
    voice, asr = settings.voice, settings.asr  # checked for type and range when they were built
    if engine not in ENGINES:
        raise ConfigError(f"asr engine {engine!r} is not one of {', '.join(ENGINES)}")
    if engine != "pocketsphinx":
        if models_dir is None:
            from .models import models_dir as default_models_dir

            models_dir = default_models_dir()
        path = find_vosk_model(asr.model_path, models_dir)
        if path is not None:
            model = vosk_model if vosk_model is not None else load_vosk_model(path)[0]
            return VoskWakeSpotter(model, path, voice.wake_phrase,
                                   vosk_min_confidence(voice.wake_sensitivity),
                                   voice.wake_refractory)
        if engine == "vosk":
            raise EngineError(f"no Vosk model found for the wake phrase (no --model, no "
                              f"$VOSK_MODEL_PATH, none in {models_dir}); {MODEL_HINT}")
    return SphinxWakeSpotter(voice.wake_phrase, kws_threshold(voice.wake_sensitivity),
                             voice.wake_refractory,
                             tuple(find_adaptation(n) for n in asr.sphinx_adaptations))
