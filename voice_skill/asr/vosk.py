"""Vosk: a downloaded Kaldi model, biased toward the skill's phrases by a run-time grammar
(with an open-vocabulary second pass when the grammar is unsure)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import EngineError
from . import lexicon
from .base import (
    SAMPLE_RATE,
    UNKNOWN,
    Recognizer,
    Transcript,
    Word,
    check_pcm,
    is_unsure,
    make_transcript,
)

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


