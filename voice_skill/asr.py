"""Speech recognition: 16 kHz mono s16le PCM chunks in, partial text and a final Transcript out.

Two engines sit behind one `Recognizer` protocol: Vosk (needs a downloaded model) and
pocketsphinx (its wheel ships an English model, so it works with zero downloads). Both are
biased toward the skill's own phrases: Vosk through a run-time grammar, pocketsphinx through a
language model built from the phrases. Vosk lives here, pocketsphinx in `voice_skill.sphinx`,
and the language-model and pronunciation helpers in `voice_skill.lexicon`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from . import lexicon
from .errors import AudioError, ConfigError, EngineError
from .settings import AsrSettings

SAMPLE_RATE = 16000
"""Rate every recogniser is fed (hertz)."""

UNKNOWN = "[unk]"
"""How a word the grammar could not place appears in `Transcript.words`."""

ENGINES = ("auto", "vosk", "pocketsphinx")
VOSK_MODES = ("grammar", "open", "two-pass")
SPHINX_LMS = ("generic", "domain", "mix")
_MODEL_HINT = "get one with `voice-skill models download NAME` (e.g. vosk-model-small-en-us-0.15)"


@dataclass(frozen=True)
class Word:
    text: str
    """The word as the engine spelled it (lower case for English models)."""
    confidence: float
    """Posterior probability that the word is right (0..1)."""
    start: float
    """Start time from the beginning of the utterance (seconds)."""
    end: float
    """End time from the beginning of the utterance (seconds)."""


@dataclass(frozen=True)
class Transcript:
    text: str
    """Recognised words joined by spaces, unknown-word markers left out."""
    words: tuple[Word, ...]
    """Every recognised word, unknown-word markers included, in order."""
    confidence: float
    """Mean word confidence (0..1); 0 for an empty transcript."""
    engine: str
    """Which engine and pass produced it, e.g. 'vosk-grammar' or 'pocketsphinx-mix'."""
    alternatives: tuple[str, ...] = ()
    """The recogniser's next-best readings of the same audio, best first (may be empty)."""
    second_opinions: tuple[str, ...] = ()
    """Readings by other acoustic models that lost on this audio (sphinx.py): checked for red
    flags, never answered from."""


class Recognizer(Protocol):
    """One utterance at a time: accept() chunks, then finish() or reset()."""

    description: str
    """What is in use, printed at start-up, e.g. 'vosk two-pass, model /path'."""

    def accept(self, pcm: bytes) -> str:
        """Feed a chunk of PCM; return the current partial text ('' if none)."""
        ...

    def finish(self) -> Transcript:
        """Final result of the utterance so far; the recogniser is then ready for the next."""
        ...

    def reset(self) -> None:
        """Drop the current utterance."""
        ...


def make_transcript(words: Sequence[Word], engine: str) -> Transcript:
    """Build a Transcript; text skips unknown-word markers, confidence is the mean."""
    spoken = [w.text for w in words if w.text != UNKNOWN]
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Transcript(" ".join(spoken), tuple(words), confidence, engine)


def is_unsure(transcript: Transcript, min_confidence: float) -> bool:
    """True when a constrained pass probably heard something outside its phrases."""
    if not transcript.words:
        return True
    return any(w.text == UNKNOWN or w.confidence < min_confidence for w in transcript.words)


def check_pcm(pcm: bytes) -> None:
    """Raise AudioError unless pcm holds whole 16-bit samples."""
    if len(pcm) % 2:
        raise AudioError(f"PCM chunk has an odd number of bytes ({len(pcm)}); "
                         "expected 16-bit samples")


def transcribe(recognizer: Recognizer, pcm: bytes, chunk_bytes: int = 8000) -> Transcript:
    """Recognise a whole utterance by streaming it in chunks of chunk_bytes."""
    if chunk_bytes <= 0 or chunk_bytes % 2:
        raise ValueError(f"chunk_bytes must be a positive even number, not {chunk_bytes}")
    check_pcm(pcm)
    whole = getattr(recognizer, "recognize_whole", None)
    if whole is not None:
        return whole(pcm)  # type: ignore[no-any-return]
    for start in range(0, len(pcm), chunk_bytes):
        recognizer.accept(pcm[start:start + chunk_bytes])
    return recognizer.finish()


# --- Vosk -------------------------------------------------------------------------------------

# From vosk-api src/model.cc (Model::Model, ConfigureV1/V2, ReadDataFiles): the two folder
# layouts Vosk accepts and the files each needs. Checked here because Vosk reports a bad
# folder only as an ERROR line on stderr and a NULL handle.
_LAYOUTS = (
    ("am/final.mdl", "conf/model.conf", ("conf/mfcc.conf", "conf/fbank.conf"), "graph/"),
    ("final.mdl", "mfcc.conf", ("mfcc.conf",), ""),
)


def check_vosk_model(path: Path) -> bool:
    """Raise EngineError naming path unless it holds a Vosk model; True if it has run-time graphs.

    Run-time graphs (HCLr.fst + Gr.fst) are what grammar mode needs; a static HCLG.fst
    decodes open vocabulary only.
    """
    if not path.exists():
        raise EngineError(f"Vosk model folder {path} does not exist")
    if not path.is_dir():
        raise EngineError(f"Vosk model path {path} is a file, not a folder (unpack it first)")
    for model, conf, features, graph in _LAYOUTS:
        if (path / model).is_file() and (path / conf).is_file():
            break
    else:
        raise EngineError(f"{path} is not a Vosk model folder (no am/final.mdl and "
                          "conf/model.conf)")
    missing = [name for name in (model, conf) if (path / name).stat().st_size == 0]
    if not any((path / f).is_file() for f in features):
        missing.append(" or ".join(features))
    lookahead = [f"{graph}HCLr.fst", f"{graph}Gr.fst", f"{graph}disambig_tid.int"]
    runtime = all((path / f).is_file() for f in lookahead)
    if not runtime and not (path / f"{graph}HCLG.fst").is_file():
        missing.append(f"{graph}HCLG.fst or {graph}HCLr.fst + {graph}Gr.fst")
    if missing:
        raise EngineError(f"Vosk model folder {path} is incomplete: missing or empty "
                          f"{', '.join(missing)}")
    return runtime


def _looks_like_english_model(path: Path) -> bool:
    """Vosk names models vosk-model[-small]-en-us-0.15, vosk-model-en-in-0.5, ..."""
    named_english = re.search(r"(^|-)en(-|$)", path.name) is not None
    return named_english and path.is_dir() and (
        (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file())


def _english_model_in(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if _looks_like_english_model(p))
    return found[0] if found else None


def find_vosk_model(explicit: Path | None, models_dir: Path) -> Path | None:
    """The Vosk model to use: explicit, else $VOSK_MODEL_PATH, else an English one in models_dir.

    $VOSK_MODEL_PATH may name a model folder or (as the vosk package reads it) a folder
    holding models. An explicit or environment path is returned even when broken, so that
    loading it fails loudly instead of another engine being used silently.
    """
    if explicit is not None:
        return explicit
    env = os.environ.get("VOSK_MODEL_PATH")
    if env:
        env_path = Path(env)
        is_model = (env_path / "am").is_dir() or (env_path / "final.mdl").is_file()
        return env_path if is_model else _english_model_in(env_path) or env_path
    return _english_model_in(models_dir)


@contextlib.contextmanager
def _stderr_into(sink: list[str]) -> Iterator[None]:
    """Collect what native code writes to file descriptor 2 (Vosk's C++ log) into sink."""
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sink.extend(capture.read().decode(errors="replace").splitlines())


def _vosk_reason(log: list[str]) -> str:
    errors = [line.split(") ", 1)[-1] for line in log if line.startswith("ERROR")]
    return f": {errors[-1]}" if errors else ""


def load_vosk_model(path: Path) -> tuple[object, bool]:
    """Load a Vosk model with its C++ logging silenced; returns (model, has run-time graphs)."""
    runtime = check_vosk_model(path)
    import vosk  # imported late: pocketsphinx-only installs never pay for it

    vosk.SetLogLevel(-1)  # warnings and errors only; the per-file LOG lines are noise
    log: list[str] = []
    with _stderr_into(log):
        try:
            model = vosk.Model(str(path))
            # A grammar recogniser on a model whose HCLr.fst failed to read dereferences a
            # null graph and kills the process (measured: vosk 0.3.45, exit 139); an open
            # recogniser checks the graph and fails cleanly, so it goes first.
            vosk.KaldiRecognizer(model, SAMPLE_RATE)
        except Exception:  # noqa: BLE001  (vosk raises a bare Exception for a NULL handle)
            model = None
    if model is None:
        raise EngineError(f"Vosk cannot load the model in {path}{_vosk_reason(log)}")
    return model, runtime


def _unknown_symbol(model: object) -> str | None:
    """The model's unknown-word symbol: '[unk]' in Vosk's small models, '<UNK>' in some."""
    for symbol in ("[unk]", "<unk>", "<UNK>"):
        if model.vosk_model_find_word(symbol) >= 0:  # type: ignore[attr-defined]
            return symbol
    return None


class VoskRecognizer:
    """One Vosk pass: grammar-constrained (phrases given) or open vocabulary (phrases None)."""

    def __init__(self, model: object, path: Path, phrases: Sequence[str] | None = None) -> None:
        import vosk

        self._unk = _unknown_symbol(model)
        self.grammar: list[str] | None = None
        arguments: tuple[object, ...] = (model, SAMPLE_RATE)
        self.engine = "vosk-open"
        if phrases is not None:
            find = model.vosk_model_find_word  # type: ignore[attr-defined]
            known = lexicon.grammar_sentences(phrases, lambda w: find(w) >= 0)
            if not known:
                raise EngineError(f"none of the {len(phrases)} phrases has a word in the "
                                  f"vocabulary of the Vosk model {path}")
            self.grammar = known + ([self._unk] if self._unk else [])
            # ensure_ascii=False: Vosk's JSON reader does not decode \uXXXX escapes.
            arguments += (json.dumps(self.grammar, ensure_ascii=False),)
            self.engine = "vosk-grammar"
        log: list[str] = []
        with _stderr_into(log):
            try:
                recognizer = vosk.KaldiRecognizer(*arguments)
            except Exception:  # noqa: BLE001  (a bare Exception for a NULL handle)
                recognizer = None
        if recognizer is None:
            raise EngineError(f"Vosk cannot decode with the model in {path}{_vosk_reason(log)}")
        recognizer.SetWords(True)
        self._recognizer = recognizer
        self._segments: list[Word] = []
        self._fed = 0.0  # seconds of audio given to Vosk so far: its word times count from 0
        self._utterance_start = 0.0
        self._in_utterance = False
        self.description = f"{self.engine}, model {path}"

    def _words(self, result_json: str) -> list[Word]:
        result = json.loads(result_json).get("result", [])
        offset = self._utterance_start
        return [Word(UNKNOWN if r["word"] == self._unk else r["word"], float(r["conf"]),
                     round(r["start"] - offset, 3), round(r["end"] - offset, 3))
                for r in result]

    def accept(self, pcm: bytes) -> str:
        """Feed a chunk; return the words so far, segments Vosk already closed included."""
        check_pcm(pcm)
        if not self._in_utterance:
            self._utterance_start, self._in_utterance = self._fed, True
        self._fed += len(pcm) / 2 / SAMPLE_RATE
        # Vosk ends a segment at its own endpoint (a pause); keep the words and go on, since
        # the caller's endpointing decides where the utterance ends.
        if self._recognizer.AcceptWaveform(pcm):
            self._segments += self._words(self._recognizer.Result())
            partial = ""
        else:
            partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        done = " ".join(w.text for w in self._segments if w.text != UNKNOWN)
        partial = " ".join(w for w in partial.split() if w != self._unk)
        return f"{done} {partial}".strip()

    def finish(self) -> Transcript:
        """Every segment of the utterance as one Transcript, times from its first chunk."""
        words = self._segments + self._words(self._recognizer.FinalResult())
        self._segments, self._in_utterance = [], False
        return make_transcript(words, self.engine)

    def reset(self) -> None:
        """Drop the current utterance."""
        self._recognizer.Reset()
        self._segments, self._in_utterance = [], False


# --- two passes -------------------------------------------------------------------------------


class TwoPassRecognizer:
    """A constrained first pass, and an open second pass whose result wins when the first is unsure.

    Both passes hear every chunk as it arrives, so finish() costs two finalisations rather
    than a second decode of the whole utterance.
    """

    def __init__(self, first: Recognizer, second: Recognizer, min_confidence: float) -> None:
        self.first, self.second, self.min_confidence = first, second, min_confidence
        self.description = (f"two-pass: {first.description}; when it is unsure "
                            f"(a word below {min_confidence:.2f} or unknown): "
                            f"{second.description}")

    def accept(self, pcm: bytes) -> str:
        """Feed both passes; the partial text is the first pass's."""
        self.second.accept(pcm)
        return self.first.accept(pcm)

    def finish(self) -> Transcript:
        """The first pass's transcript, or the second's when the first is unsure."""
        constrained, open_ = self.first.finish(), self.second.finish()
        if is_unsure(constrained, self.min_confidence) and open_.words:
            return replace(open_, engine=f"{open_.engine} (second pass)")
        return constrained

    def reset(self) -> None:
        """Drop the current utterance in both passes."""
        self.first.reset()
        self.second.reset()


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
                              f"none in {models_dir}); {_MODEL_HINT}")
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
    from .sphinx import SphinxRecognizer, find_adaptation  # sphinx.py builds on this module

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
