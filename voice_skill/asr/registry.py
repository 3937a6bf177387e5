"""Choosing a recogniser: the engine settings name, or auto (Vosk given an English model, else
pocketsphinx, which needs no download). Every engine sits behind `base.Recognizer`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError, EngineError
from ..settings import AsrSettings
from . import lexicon
from .base import ENGINES, MODEL_HINT, VOSK_MODES, Recognizer
from .sphinx import SphinxRecognizer, find_adaptation
from .vosk import TwoPassRecognizer, VoskRecognizer, find_vosk_model, load_vosk_model

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
    if settings.engine not in ENGINES:
        raise ConfigError(f"asr engine {settings.engine!r} is not one of {', '.join(ENGINES)}")
    if settings.mode not in VOSK_MODES:
        raise ConfigError(f"asr mode {settings.mode!r} is not one of {', '.join(VOSK_MODES)}")
    if not 0.0 <= settings.min_confidence <= 1.0:
        raise ConfigError(f"asr min_confidence {settings.min_confidence} is not between 0 and 1")
    if settings.engine != "pocketsphinx":
        path = find_vosk_model(settings.model_path, models_dir)
        if path is not None:
            return _open_vosk(path, settings.mode, phrases, settings.min_confidence)
        if settings.engine == "vosk":
            raise EngineError(f"no English Vosk model found (no --model, no $VOSK_MODEL_PATH, "
                              f"none in {models_dir}); {MODEL_HINT}")
    if not isinstance(settings.noise_suppression, bool):
        raise ConfigError(f"asr noise_suppression {settings.noise_suppression!r} is not true or "
                          "false")
    accents = settings.accents
    if not isinstance(accents, (list, tuple)) or not all(isinstance(a, str) for a in accents):
        raise ConfigError(f"asr accents {accents!r} is not a list of espeak-ng voice names")
    for voice in accents:
        if not lexicon.espeak_has_voice(voice):
            raise ConfigError(f"asr accents: espeak-ng has no voice {voice!r} "
                              "(`espeak-ng --voices=en` lists them)")
    names = settings.sphinx_adaptations
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"asr sphinx_adaptations {names!r} is not a list of adaptation "
                          "names or paths")
    recognizer = SphinxRecognizer(phrases, settings.sphinx_lm,
                                  noise_suppression=settings.noise_suppression,
                                  accents=tuple(accents),
                                  adaptations=tuple(find_adaptation(n) for n in names))
    if settings.engine == "auto":
        recognizer.description += f" (auto: no English Vosk model in {models_dir})"
    return recognizer
