"""Speech recognition: 16 kHz mono s16le PCM chunks in, partial text and a final Transcript out.

Two engines sit behind one `Recognizer` protocol: Vosk (needs a downloaded model) and
pocketsphinx (its wheel ships an English model, so it works with zero downloads). Both are
biased toward the skill's own phrases: Vosk through a run-time grammar, pocketsphinx through a
language model built here from the phrases. The language-model and pronunciation helpers live
in `voice_skill.lexicon`.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from . import lexicon
from .denoise import StreamingSuppressor, suppress_noise
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


def _check_pcm(pcm: bytes) -> None:
    if len(pcm) % 2:
        raise AudioError(f"PCM chunk has an odd number of bytes ({len(pcm)}); "
                         "expected 16-bit samples")


def transcribe(recognizer: Recognizer, pcm: bytes, chunk_bytes: int = 8000) -> Transcript:
    """Recognise a whole utterance by streaming it in chunks of chunk_bytes."""
    if chunk_bytes <= 0 or chunk_bytes % 2:
        raise ValueError(f"chunk_bytes must be a positive even number, not {chunk_bytes}")
    _check_pcm(pcm)
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
        _check_pcm(pcm)
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


# --- pocketsphinx -----------------------------------------------------------------------------


ALTERNATIVES = 5
"""Next-best readings kept per utterance: red flags are checked in them too, and one may give
the answer (understand.py). Spoken development set, 445 questions / 120 red flags, missed red
flags / false alarms: 1 reading 28 / 7, 2 readings 24 / 11, 3 readings 23 / 12, 5 readings
22 / 18, and 22 / 14 once readings that doubt only sure words are left out (SURE_WORD)."""
NBEST_SEARCHED = 12
"""N-best entries examined to find them (many differ only in fillers or word variants)."""

NOISE_FLOOR_RMS = 30.0
"""Gaussian noise added before pocketsphinx (16-bit sample units, about -61 dBFS). Its front
end misreads perfectly clean audio with digital silence (synthesised speech, files): on 30
development questions spoken by espeak-ng en-us, intent accuracy went from 13/30 to 26-28/30
with a floor of rms 10-100 (bench/bench_asr.py measures it). A real microphone's own noise is
far above this, so live audio is unaffected."""
NOISE_FLOOR_SEED = 20261126
"""Fixed so the same audio always gives the same transcript."""


def with_noise_floor(pcm: bytes, noise: np.random.Generator) -> bytes:
    """pcm (s16le) with a faint noise floor added, clipped to 16 bits."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    samples += noise.normal(0.0, NOISE_FLOOR_RMS, samples.size)
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


SURE_WORD = 0.9
"""A best-reading word heard with at least this posterior is not doubted by a next-best reading.
Spoken development set with 5 readings: false alarms 18 -> 14, missed red flags unchanged at
22 (0.8 gave the same)."""


def doubts_only_sure_words(best: Sequence[Word], other: Sequence[str]) -> bool:
    """other replaces or drops only words best heard with confidence >= SURE_WORD ("my calf
    twitch" at 0.97 read as "my calf weak"); a word other adds is a real doubt."""
    matcher = difflib.SequenceMatcher(a=[w.text for w in best], b=list(other), autojunk=False)
    edits = [(i1, i2) for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal"]
    return bool(edits) and all(
        i2 > i1 and all(w.confidence >= SURE_WORD for w in best[i1:i2]) for i1, i2 in edits)


class SphinxRecognizer:
    """pocketsphinx 5 with its bundled en-us model and a generic, domain or mixed language model."""

    def __init__(self, phrases: Sequence[str], lm: str = "mix",
                 background_words: int = lexicon.BACKGROUND_WORDS,
                 domain_weight: float = lexicon.DOMAIN_WEIGHT,
                 noise_suppression: bool = True,
                 accents: Sequence[str] = lexicon.ACCENT_VOICES) -> None:
        import pocketsphinx

        if lm not in SPHINX_LMS:
            raise ConfigError(f"pocketsphinx language model {lm!r} is not one of "
                              f"{', '.join(SPHINX_LMS)}")
        model_dir = Path(pocketsphinx.get_model_path("en-us"))
        self.engine = f"pocketsphinx-{lm}"
        self.skipped: tuple[str, ...] = ()
        if lm == "generic":
            self._decoder = pocketsphinx.Decoder(loglevel="FATAL")
            self.description = f"pocketsphinx, generic language model, model {model_dir}"
        else:
            built = lexicon.build_domain_lm(phrases, model_dir, lm == "mix",
                                            background_words, domain_weight, accents)
            self.skipped = built.skipped
            with tempfile.TemporaryDirectory(prefix="voice-skill-lm-") as folder:
                arpa, dictionary = Path(folder, "domain.arpa"), Path(folder, "domain.dict")
                arpa.write_text(built.arpa, encoding="utf-8")
                dictionary.write_text(built.dictionary, encoding="utf-8")
                try:
                    self._decoder = pocketsphinx.Decoder(
                        lm=str(arpa), dict=str(dictionary), loglevel="FATAL")
                except (RuntimeError, ValueError) as error:
                    raise EngineError(f"pocketsphinx rejected the {lm} language model: "
                                      f"{error}") from None
            self.description = (f"pocketsphinx, {lm} language model ({built.summary}), "
                                f"model {model_dir}")
        self._frame_seconds = 1.0 / int(self._decoder.config["frate"])
        self._streaming_suppressor = StreamingSuppressor() if noise_suppression else None
        self._in_utterance = False
        self._noise = np.random.default_rng(NOISE_FLOOR_SEED)

    def accept(self, pcm: bytes) -> str:
        """Feed a chunk (an utterance starts with the first); return the best path so far."""
        _check_pcm(pcm)
        if not self._in_utterance:
            self._decoder.start_utt()
            self._in_utterance = True
        if self._streaming_suppressor is not None:
            pcm = self._streaming_suppressor.process(pcm)
        if pcm:
            self._decoder.process_raw(pcm, False, False)
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def recognize_whole(self, pcm: bytes) -> Transcript:
        """One complete utterance in a single block. pocketsphinx then normalises the audio
        over the utterance itself instead of carrying an estimate over from earlier speech,
        which misled it on the first utterance after start-up and on each new file in a batch
        (measured: "i just had a seizure" heard as "i got the see you" when first, right
        afterwards). Steady background noise is subtracted first (voice_skill.denoise)."""
        if self._streaming_suppressor is not None:  # noise suppression is on
            pcm = suppress_noise(pcm)
        self.reset()
        self._decoder.start_utt()
        self._in_utterance = True
        self._noise = np.random.default_rng(NOISE_FLOOR_SEED)
        self._decoder.process_raw(with_noise_floor(pcm, self._noise), False, True)
        return self._end_utterance()

    def finish(self) -> Transcript:
        """End the utterance; words carry their posterior probabilities as confidences."""
        if not self._in_utterance:
            return make_transcript([], self.engine)
        if self._streaming_suppressor is not None:
            tail = self._streaming_suppressor.flush()
            if tail:
                self._decoder.process_raw(tail, False, False)
        return self._end_utterance()

    def _end_utterance(self) -> Transcript:
        self._decoder.end_utt()
        self._in_utterance = False
        words = [
            # Posteriors come out of integer log math and can exceed 1 by a rounding step.
            Word(lexicon.base_word(s.word), min(1.0, float(s.prob)),
                 s.start_frame * self._frame_seconds, (s.end_frame + 1) * self._frame_seconds)
            for s in self._decoder.seg() if not lexicon.is_filler(s.word)
        ]
        best = make_transcript(words, self.engine)
        return replace(best, alternatives=self._alternatives(best))

    def _alternatives(self, best: Transcript) -> tuple[str, ...]:
        """Up to ALTERNATIVES distinct next-best readings, fillers and word variants cleaned;
        a reading that differs from the best one only where that one is sure is left out."""
        found: list[str] = []
        for hypothesis in itertools.islice(self._decoder.nbest(), NBEST_SEARCHED):
            words = [lexicon.base_word(w) for w in hypothesis.hypstr.split()
                     if not lexicon.is_filler(w)]
            text = " ".join(words)
            if text and text != best.text and text not in found and \
                    not doubts_only_sure_words(best.words, words):
                found.append(text)
            if len(found) == ALTERNATIVES:
                break
        return tuple(found)

    def reset(self) -> None:
        """Drop the current utterance."""
        if self._in_utterance:
            if self._streaming_suppressor is not None:
                self._streaming_suppressor.flush()
            self._decoder.end_utt()
            self._in_utterance = False


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
    recognizer = SphinxRecognizer(phrases, settings.sphinx_lm,
                                  noise_suppression=settings.noise_suppression,
                                  accents=tuple(accents))
    if settings.engine == "auto":
        recognizer.description += f" (auto: no English Vosk model in {models_dir})"
    return recognizer
