"""pocketsphinx, the zero-download engine: its wheel's en-us model, a language model built from
the dialogs (asr.lexicon), optional MLLR transforms decoded side by side, and the
front end that cleans audio before decoding."""

from __future__ import annotations

import difflib
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..audio.denoise import StreamingSuppressor, suppress_noise
from ..errors import ConfigError, EngineError
from . import lexicon
from .adaptation import MAP_FILES
from .base import SPHINX_LMS, Transcript, Word, check_pcm, make_transcript

ALTERNATIVES = 5
"""Next-best readings kept per utterance: red flags are checked in them too, and one may give
the answer (understand.py). Spoken development set, 445 questions / 120 red flags, missed red
flags / false alarms: 1 reading 28 / 7, 2 readings 24 / 11, 3 readings 23 / 12, 5 readings
22 / 18, and 22 / 14 once readings that doubt only sure words are left out (SURE_WORD)."""
NBEST_SEARCHED = 12
"""N-best entries examined to find them (many differ only in fillers or word variants)."""

SPEAKER_WARPS = (0.88, 1.13)
"""Frequency warps of the decoders that hear the voice as from a longer (0.88) or a shorter
(1.13) vocal tract than the model's speakers: pocketsphinx's inverse-linear warp reads a
frequency f as f / w. With them beside the plain decoder the best path score wins, as between
men's, women's and children's voices. Measured in a scratch run (2026-12-02, development
questions, every 4th per voice, streaming decoding, plain model, through the decisions):
held-out voices (flite rms and awb, festival ked_diphone and slt-hts, espeak-ng en-us+m3 and
en-gb-x-gbclan) clean intent 0.873 -> 0.910, pitch -300 cents 0.396 -> 0.507, +300 cents
0.642 -> 0.709, red flags missed 46 -> 39 of 108, false alarms 5 -> 4 of 402; the tuning voices
(espeak-ng en-us, flite slt, festival kal) 0.910 -> 0.896, 0.522 -> 0.582, 0.627 -> 0.716,
missed 26 -> 19 of 54. The grid was chosen on the tuning voices: 0.88 alone helped pitch down
and hurt pitch up, 1.13 alone the reverse; both together kept most of each. Through the whole
skill (bench/eval_spoken.py --synth room --every 3, held-out voices, 2486 recordings, the same
code with asr.warp_search off and on): intent 0.693 -> 0.712, emergencies missed 65 -> 51 of
176, urgent 57 -> 42 of 264, routine 32 -> 31 of 88, false alarms 111 -> 130 of 1958 (20 -> 15
left once everyone asked back says no); pitch down 0.511 -> 0.618, clean 0.860 -> 0.871.
Cost: a whole utterance (a file, the first one heard) is read by all three decoders; streamed,
two more decoders for its first half second (bench_front --part stages: decoding 121 -> 144
CPU ms per second of audio streamed, 148 -> 434 whole); idle audio never reaches the decoders. Memory: 114 -> 159
MB peak RSS for a recogniser with the two warps."""
WARP_CHOICE_SECONDS = 0.5
"""Streamed, the warped decoders hear only this much of an utterance: then the best-scoring
of them and the plain one goes on alone, so warping costs three decoders for half a second,
not for the whole utterance. Measured beside decoding all of it with all three (the scratch run above):
held-out clean 0.903 (0.910 all), pitch down 0.500 (0.507), up 0.701 (0.709), missed 39 (39)
of 108; choosing after 1.0 s or 1.5 s was no better (0.896 / 0.448 / 0.672, 40 missed at 1 s)."""
_WARP_CHOICE_BYTES = int(WARP_CHOICE_SECONDS * 16000) * 2

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


def sphinx_front_end(pcm: bytes, noise_suppression: bool = True) -> bytes:
    """A whole utterance as pocketsphinx is fed it: steady noise subtracted, a faint floor
    added. Audio for acoustic adaptation goes through the same steps (asr.adaptation)."""
    if noise_suppression:
        pcm = suppress_noise(pcm)
    return with_noise_floor(pcm, np.random.default_rng(NOISE_FLOOR_SEED))


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


ADAPTATIONS_DIR = Path(__file__).resolve().parent.parent / "data"
"""Shipped adaptations, built by scripts/build_adaptation.py: NAME/ a MAP-adapted model
(adaptation.MAP_FILES), or NAME.mllr an MLLR transform."""


def find_adaptation(name: str) -> Path:
    """A shipped adaptation by name ('espeak-ng'), or the path of an MLLR transform file or of
    a MAP adaptation folder."""
    for shipped in (ADAPTATIONS_DIR / name, ADAPTATIONS_DIR / f"{name}.mllr"):
        if name and "/" not in name and shipped.exists():
            return shipped
    path = Path(name).expanduser()
    if name and path.exists():
        return path
    known = ", ".join(sorted({p.name.removesuffix(".mllr") for p in ADAPTATIONS_DIR.iterdir()
                              if p.is_dir() or p.suffix == ".mllr"}))
    raise ConfigError(f"asr sphinx_adaptations: {name!r} is neither an adaptation (an MLLR "
                      f"transform file or a MAP folder) nor a shipped one "
                      f"({known or 'none shipped'})")


def adaptation_options(adaptation: Path, acoustic_dir: Path) -> dict[str, str]:
    """The pocketsphinx options that load an adaptation: an MLLR file, or a MAP folder whose
    files each stand in for the model's own (acoustic_dir) and must match it in size."""
    if not adaptation.is_dir():
        return {"mllr": str(adaptation)}
    options = {}
    for file in sorted(adaptation.iterdir()):
        if file.name not in MAP_FILES:
            raise ConfigError(f"{file}: not a model file a MAP adaptation holds "
                              f"({', '.join(MAP_FILES)})")
        size, expected = file.stat().st_size, (acoustic_dir / file.name).stat().st_size
        if size != expected:
            raise EngineError(f"{file}: {size} bytes where the model's own has {expected}; "
                              "damaged, or adapted from another model")
        options[MAP_FILES[file.name]] = str(file)
    if not options:
        raise ConfigError(f"{adaptation}: an empty folder, not a MAP adaptation "
                          f"({', '.join(MAP_FILES)})")
    return options


# pocketsphinx ends the whole process, where Python cannot catch it, on some damaged model
# files (a checksum error, a missing header marker: measured with pocketsphinx 5.1.1), so an
# adaptation's files are first loaded by a child process that may die instead.
_LOAD_PROBE = ("import json, sys, pocketsphinx; pocketsphinx.Decoder(pocketsphinx.Config("
               "loglevel='ERROR', lm=None, **json.loads(sys.argv[1])))")


def _start_load_probe(options: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _LOAD_PROBE, json.dumps(options)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _check_load_probes(probes: list[tuple[Path, subprocess.Popen[str]]]) -> None:
    """Wait for every (folder, probe); the first folder whose probe failed is an EngineError."""
    outcomes = [(folder, probe.communicate()[1], probe.returncode) for folder, probe in probes]
    for folder, errors, status in outcomes:
        if status != 0:
            lines = (re.sub(r'^\w+: "[^"]*", line \d+: ', "", line).strip()
                     for line in errors.splitlines())
            message = " ".join(line for line in lines if line and not line.startswith("INFO"))
            raise EngineError(f"pocketsphinx cannot load the adaptation {folder}: "
                              f"{message[-300:] or f'exit status {status}'}")


def _stop_load_probes(probes: list[tuple[Path, subprocess.Popen[str]]]) -> None:
    """End probes still running (when loading failed elsewhere first)."""
    for _, probe in probes:
        if probe.poll() is None:
            probe.kill()
            probe.communicate()


class SphinxRecognizer:
    """pocketsphinx 5 with its bundled en-us model and a generic, domain or mixed language model.

    With adaptations, one decoder per adapted model listens beside the unadapted one and the
    reading with the best path score wins, so each voice gets the model that fits it; the
    losers' readings are second opinions, checked for red flags only. The shipped espeak-ng
    MAP adaptation, on the development questions (scratch decoding, through the decisions):
    espeak-ng's development voices intent 0.804 -> 0.946, missed red flags 18 -> 2 of 120 (the
    earlier MLLR transform: 0.852, 7); espeak-ng voices it was not built from
    (en-gb-x-gbclan, en-gb-x-gbcwmd, en-us+m3) 0.678 -> 0.925, missed 25 -> 6 of 72. flite and
    festival keep the plain reading (adapted chosen for 0 and 2 of 339 files; intent 0.914 ->
    0.921 and 0.925 -> 0.921, none missed), as do people's recordings. Alone, the adapted model
    would be far worse on them (flite 0.734, festival 0.648): it is never used alone.
    """

    def __init__(self, phrases: Sequence[str], lm: str = "mix",
                 background_words: int = lexicon.BACKGROUND_WORDS,
                 domain_weight: float = lexicon.DOMAIN_WEIGHT,
                 noise_suppression: bool = True,
                 accents: Sequence[str] = lexicon.ACCENT_VOICES,
                 adaptations: Sequence[Path] = (), warps: Sequence[float] = ()) -> None:
        import pocketsphinx

        if lm not in SPHINX_LMS:
            raise ConfigError(f"pocketsphinx language model {lm!r} is not one of "
                              f"{', '.join(SPHINX_LMS)}")
        model_dir = Path(pocketsphinx.get_model_path("en-us"))
        adapted = [adaptation_options(a, model_dir / "en-us") for a in adaptations]
        # The probes load each MAP folder while the language model is built.
        probes = [(a, _start_load_probe(options)) for a, options in zip(adaptations, adapted)
                  if a.is_dir()]
        self.engine = f"pocketsphinx-{lm}"
        self.skipped: tuple[str, ...] = ()
        self.conditions = ("plain", *(p.name.removesuffix(".mllr") for p in adaptations),
                           *(f"warp{w:g}" for w in warps))
        """Which model each decoder uses: 'plain', each adaptation's name, then each warp."""
        decoders = ({}, *adapted, *({"warp_params": f"{w:g}"} for w in warps))
        try:
            if lm == "generic":
                _check_load_probes(probes)
                self._decoders = [_sphinx_decoder({}, a) for a in decoders]
                self.description = f"pocketsphinx, generic language model, model {model_dir}"
            else:
                built = lexicon.build_domain_lm(phrases, model_dir, lm == "mix",
                                                background_words, domain_weight, accents)
                self.skipped = built.skipped
                with tempfile.TemporaryDirectory(prefix="voice-skill-lm-") as folder:
                    arpa, dictionary = Path(folder, "domain.arpa"), Path(folder, "domain.dict")
                    arpa.write_text(built.arpa, encoding="utf-8")
                    dictionary.write_text(built.dictionary, encoding="utf-8")
                    files = {"lm": str(arpa), "dict": str(dictionary)}
                    _check_load_probes(probes)
                    self._decoders = [_sphinx_decoder(files, a) for a in decoders]
                self.description = (f"pocketsphinx, {lm} language model ({built.summary}), "
                                    f"model {model_dir}")
        finally:
            _stop_load_probes(probes)
        if adaptations:
            self.description += (", adapted to " + ", ".join(self.conditions[1:1 + len(adapted)])
                                 + " beside the plain model (best score wins)")
        if warps:
            self.description += (", vocal-tract warps " + ", ".join(f"{w:g}" for w in warps)
                                 + " tried on each utterance's start")
        self._decoder = self._decoders[0]
        """The decoder whose reading won the last utterance."""
        # The plain decoder and the warped ones hear the start of an utterance; one goes on.
        warped = self._decoders[len(self._decoders) - len(warps):] if warps else []
        self._warp_family = [self._decoders[0], *warped] if warped else []
        self._live = list(self._decoders)
        """The decoders hearing the current utterance."""
        self._fed = 0
        self._frame_seconds = 1.0 / int(self._decoder.config["frate"])
        self._streaming_suppressor = StreamingSuppressor() if noise_suppression else None
        self._in_utterance = False

    def accept(self, pcm: bytes) -> str:
        """Feed a chunk (an utterance starts with the first); return the best path so far."""
        check_pcm(pcm)
        if not self._in_utterance:
            self._start_utterance()
        if self._streaming_suppressor is not None:
            pcm = self._streaming_suppressor.process(pcm)
        if pcm:
            for decoder in self._live:
                decoder.process_raw(pcm, False, False)
            before, self._fed = self._fed, self._fed + len(pcm)
            if before < _WARP_CHOICE_BYTES <= self._fed:
                self._choose_warp()
        _, hypothesis = _best(self._readings())
        return hypothesis.hypstr if hypothesis is not None else ""

    def recognize_whole(self, pcm: bytes) -> Transcript:
        """One complete utterance in a single block. pocketsphinx then normalises the audio
        over the utterance itself instead of carrying an estimate over from earlier speech,
        which misled it on the first utterance after start-up and on each new file in a batch
        (measured: "i just had a seizure" heard as "i got the see you" when first, right
        afterwards). Steady background noise is subtracted first (audio.denoise)."""
        self.reset()
        front = sphinx_front_end(pcm, self._streaming_suppressor is not None)
        # Every decoder reads all of it: a first look at the start to choose a warp, then the
        # whole, misled the decoder that went on (its estimate of the voice carried over):
        # measured on 12 questions, 36 key words, flite slt pitched up: 10 heard plain, 7 so.
        self._start_utterance()
        for decoder in self._live:
            decoder.process_raw(front, False, True)
        return self._end_utterance()

    def _start_utterance(self) -> None:
        for decoder in self._decoders:
            decoder.start_utt()
        self._live, self._fed = list(self._decoders), 0
        self._in_utterance = True

    def _choose_warp(self) -> None:
        """Once, after WARP_CHOICE_SECONDS: of the plain and warped decoders, only the one
        with the best path score so far hears the rest (adapted models all go on)."""
        if not self._warp_family:
            return
        chosen, _ = _best([(d, d.hyp()) for d in self._warp_family])
        self._live = [d for d in self._live if d not in self._warp_family or d is chosen]

    def finish(self) -> Transcript:
        """End the utterance; words carry their posterior probabilities as confidences."""
        if not self._in_utterance:
            return make_transcript([], self.engine)
        if self._streaming_suppressor is not None:
            tail = self._streaming_suppressor.flush()
            if tail:
                for decoder in self._live:
                    decoder.process_raw(tail, False, False)
        return self._end_utterance()

    def _readings(self) -> list[tuple[Any, Any]]:
        """(decoder, its current best hypothesis or None) for each decoder hearing the
        utterance, asked once each."""
        return [(decoder, decoder.hyp()) for decoder in self._live]

    def _end_utterance(self) -> Transcript:
        for decoder in self._decoders:
            decoder.end_utt()
        self._in_utterance = False
        readings = self._readings()
        self._decoder, _ = _best(readings)
        words = [
            # Posteriors come out of integer log math and can exceed 1 by a rounding step.
            Word(lexicon.base_word(s.word), min(1.0, float(s.prob)),
                 s.start_frame * self._frame_seconds, (s.end_frame + 1) * self._frame_seconds)
            for s in self._decoder.seg() if not lexicon.is_filler(s.word)
        ]
        condition = self.conditions[self._decoders.index(self._decoder)]
        engine = self.engine if condition == "plain" else f"{self.engine}+{condition}"
        best = make_transcript(words, engine)
        # The losing decoders' best readings are second opinions, checked for red flags: the
        # other model is an independent view. Development questions, missed red flags without
        # and with them: espeak-ng 3 -> 2 of 120, espeak-ng voices the adaptation was not
        # built from 8 -> 6 of 72; false alarms 9 -> 13 of 445 and 3 -> 4 of 267.
        others = (" ".join(_clean_words(h.hypstr)) for d, h in readings
                  if d is not self._decoder and h is not None)
        unique = tuple(dict.fromkeys(r for r in others if r and r != best.text))
        return replace(best, alternatives=self._alternatives(best), second_opinions=unique)

    def _alternatives(self, best: Transcript) -> tuple[str, ...]:
        """Up to ALTERNATIVES distinct next-best readings, fillers and word variants cleaned;
        a reading that differs from the best one only where that one is sure is left out."""
        found: list[str] = []
        for hypothesis in itertools.islice(self._decoder.nbest(), NBEST_SEARCHED):
            if hypothesis is None:
                continue  # pocketsphinx 5.1.1's nbest() yields some empty entries (measured)
            words = _clean_words(hypothesis.hypstr)
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
            for decoder in self._decoders:
                decoder.end_utt()
            self._in_utterance = False


def _best(readings: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    """The (decoder, hypothesis) pair to believe: one that heard words beats one that heard
    none (the endpointer found speech; festival's "hello" read as nothing by the adapted model
    and as "hello" by the plain one), then the best path score wins; the first on a tie."""
    def rank(reading: tuple[Any, Any]) -> tuple[bool, float]:
        hypothesis = reading[1]
        if hypothesis is None:
            return False, -math.inf
        return bool(_clean_words(hypothesis.hypstr)), hypothesis.score

    return max(readings, key=rank)


def _clean_words(hypothesis: str) -> list[str]:
    """A pocketsphinx reading's words without fillers and variant markers ('was(2)')."""
    return [lexicon.base_word(w) for w in hypothesis.split() if not lexicon.is_filler(w)]


def _sphinx_decoder(files: dict[str, str], adapted: dict[str, str]):  # type: ignore[no-untyped-def]
    """A pocketsphinx Decoder with the given LM files and adaptation options
    (adaptation_options; {} for the plain model)."""
    import pocketsphinx

    try:
        return pocketsphinx.Decoder(**files, **adapted, loglevel="FATAL")
    except (RuntimeError, ValueError) as error:
        what = (f"the adaptation {' '.join(adapted.values())}" if adapted
                else "the language model")
        raise EngineError(f"pocketsphinx rejected {what}: {error}") from None
