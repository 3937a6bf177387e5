"""Acoustic adaptation for pocketsphinx: speech with known words in, an adapted model out.

Two kinds, both applied by pocketsphinx at load time without retraining the model:
- an MLLR transform (one file, its `mllr` option) moves all the Gaussian means together toward
  a speaker, a microphone or a kind of voice; a few dozen utterances are enough;
- a MAP adaptation (a folder of model files, its `mean`, `var`, `sendump` and `tmat` options)
  re-estimates each Gaussian, mixture weight and transition from the speech, weighed against
  the model's own values; it needs far more speech and then fits far better.

Estimating either needs CMU's training tools, which Debian packages: `sphinx_fe`
(sphinxbase-utils) computes features, `bw` counts how the model's states fit them, and
`mllr_solve`, `map_adapt` and `mk_s2sendump` (sphinxtrain) turn the counts into the result;
`pocketsphinx_mdef_convert` (pocketsphinx) writes the model definition as the text bw reads.
These run once, when an adaptation is built (`scripts/build_adaptation.py`), never while the
skill listens."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EngineError
from . import lexicon

SPHINXTRAIN = Path("/usr/lib/sphinxtrain")
"""Where Debian's sphinxtrain package puts bw and mllr_solve (not on PATH)."""
TOOLS_HINT = ("install Debian's sphinxtrain, sphinxbase-utils and pocketsphinx (apt-get install "
              "sphinxtrain sphinxbase-utils pocketsphinx)")

# pocketsphinx stores mixture weights as 8-bit quantised negative logs (its `sendump`);
# sphinxtrain's bw needs them as floats. pocketsphinx builds the 8-bit table with log base
# 1.0001 shifted right by 10 bits (ptm_mgau.c: logmath_init(base, SENSCR_SHIFT = 10)), so a
# stored value q stands for the weight exp(-q * 1024 * ln 1.0001).
_SENDUMP_LOG_STEP = 1024 * math.log(1.0001)
_S3_BYTE_ORDER_MAGIC = 0x11223344

MAP_FILES = {"means": "mean", "variances": "var", "sendump": "sendump",
             "transition_matrices": "tmat"}
"""The files a MAP adaptation folder holds, each with the pocketsphinx option that loads it in
place of the model's own."""


@dataclass(frozen=True)
class AdaptationUtterance:
    pcm: bytes
    """16 kHz mono s16le audio, already through the recogniser's own front end."""
    text: str
    """What was said."""


def mixture_weights_from_sendump(sendump: bytes) -> bytes:
    """sphinxtrain's float mixture_weights file for pocketsphinx's quantised sendump file."""
    try:
        return _converted_sendump(sendump)
    except (struct.error, UnicodeDecodeError, ValueError) as error:
        raise EngineError(f"the model's sendump file is damaged ({error})") from None


def _converted_sendump(sendump: bytes) -> bytes:
    pos = 0

    def read_int() -> int:
        nonlocal pos
        (value,) = struct.unpack_from("<i", sendump, pos)
        pos += 4
        return int(value)

    # A title, a format description, then "key value" strings until one of length 0.
    header: dict[str, str] = {}
    while (size := read_int()) != 0:
        key, _, value = sendump[pos:pos + size].rstrip(b"\0").decode("ascii").partition(" ")
        header[key] = value
        pos += size
    if int(header.get("cluster_count", "0")) != 0:
        raise EngineError("sendump uses clustered weights, which cannot be converted")
    n_feat = int(header.get("feature_count", "1"))
    n_density, n_senone = read_int(), read_int()
    quantised = np.frombuffer(sendump, dtype=np.uint8, count=n_feat * n_density * n_senone,
                              offset=pos).reshape(n_feat, n_density, n_senone)
    weights = np.exp(-quantised.astype(np.float64) * _SENDUMP_LOG_STEP).transpose(2, 0, 1)
    weights /= weights.sum(axis=2, keepdims=True)  # quantisation loses about 5 % of the mass
    body = struct.pack("<I4i", _S3_BYTE_ORDER_MAGIC, n_senone, n_feat, n_density, weights.size)
    return b"s3\nversion 1.0\nendhdr\n" + body + weights.astype("<f4").tobytes()


def _run(command: Sequence[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise EngineError(f"cannot run {command[0]} ({error.strerror}); {TOOLS_HINT}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise EngineError(f"{what} failed: {last}")


def _tool(name: str) -> str:
    found = shutil.which(name) or (str(SPHINXTRAIN / name) if (SPHINXTRAIN / name).is_file()
                                   else None)
    if found is None:
        raise EngineError(f"{name} is not installed; {TOOLS_HINT}")
    return found


def _transcripts(utterances: Sequence[AdaptationUtterance], cmudict: dict[str, list[str]]
                 ) -> list[tuple[int, list[str]]]:
    """(index, words) of each utterance whose words cmudict can all pronounce."""
    usable = []
    for index, utterance in enumerate(utterances):
        words = lexicon.words_of(utterance.text)
        if words and all(w in cmudict for w in words):
            usable.append((index, words))
    return usable


_COUNTING_TOOLS = ("sphinx_fe", "bw", "pocketsphinx_mdef_convert")


def _count_statistics(utterances: Sequence[AdaptationUtterance], model_dir: Path,
                      work: Path) -> int:
    """Compute features for utterances in work and let bw count how the model's states fit
    them (work/counts, work/mdef.txt, work/mixture_weights); returns how many were usable."""
    acoustic = model_dir / "en-us"
    cmudict = lexicon.read_dictionary(model_dir / "cmudict-en-us.dict")
    usable = _transcripts(utterances, cmudict)
    if not usable:
        raise EngineError("no adaptation utterance has words the dictionary can pronounce")
    fe, bw, mdef_convert = (_tool(name) for name in _COUNTING_TOOLS)
    (work / "audio").mkdir()
    names = [f"u{index:05d}" for index, _ in usable]
    for name, (index, _) in zip(names, usable):
        (work / "audio" / f"{name}.raw").write_bytes(utterances[index].pcm)
    (work / "ids").write_text("".join(f"{n}\n" for n in names))
    (work / "words").write_text("".join(f"<s> {' '.join(w)} </s> ({n})\n"
                                        for n, (_, w) in zip(names, usable)))
    vocabulary = sorted({w for _, words in usable for w in words})
    (work / "dict").write_text("".join(f"{w} {cmudict[w][0]}\n" for w in vocabulary))
    (work / "mixture_weights").write_bytes(
        mixture_weights_from_sendump((acoustic / "sendump").read_bytes()))
    _run([mdef_convert, "-text", str(acoustic / "mdef"), str(work / "mdef.txt")],
         "converting the model definition")
    # The recogniser's own feature settings, so the adaptation fits what it computes.
    _run([fe, "-argfile", str(acoustic / "feat.params"), "-samprate", "16000", "-raw", "yes",
          "-input_endian", "little", "-remove_silence", "no", "-c", str(work / "ids"),
          "-di", str(work / "audio"), "-ei", "raw", "-do", str(work / "audio"),
          "-eo", "mfc"], "computing features (sphinx_fe)")
    (work / "counts").mkdir()
    _run([bw, "-hmmdir", str(acoustic), "-moddeffn", str(work / "mdef.txt"),
          "-mixwfn", str(work / "mixture_weights"), "-ts2cbfn", ".ptm.",
          "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-cmn", "current",
          "-agc", "none", "-dictfn", str(work / "dict"),
          "-fdictfn", str(acoustic / "noisedict"), "-ctlfn", str(work / "ids"),
          "-lsnfn", str(work / "words"), "-cepdir", str(work / "audio"), "-cepext", "mfc",
          "-accumdir", str(work / "counts")], "counting state statistics (bw)")
    return len(usable)


def build_mllr(utterances: Sequence[AdaptationUtterance], model_dir: Path, out: Path) -> int:
    """Estimate one global MLLR transform for model_dir (pocketsphinx's en-us layout) from
    utterances and write it to out; returns how many utterances were used (words cmudict
    cannot pronounce make an utterance unusable). Suits a little speech: a few dozen
    utterances of one speaker or microphone."""
    acoustic = model_dir / "en-us"
    *_, solve = (_tool(name) for name in (*_COUNTING_TOOLS, "mllr_solve"))
    with tempfile.TemporaryDirectory(prefix="voice-skill-adapt-") as folder:
        work = Path(folder)
        used = _count_statistics(utterances, model_dir, work)
        _run([solve, "-meanfn", str(acoustic / "means"), "-varfn", str(acoustic / "variances"),
              "-outmllrfn", str(work / "mllr"), "-accumdir", str(work / "counts")],
             "solving the transform (mllr_solve)")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "mllr", out)
    return used


def build_map(utterances: Sequence[AdaptationUtterance], model_dir: Path, out: Path) -> int:
    """MAP-adapt model_dir's means, variances, mixture weights and transition matrices to
    utterances and write them to the folder out (MAP_FILES); returns how many utterances were
    used. MAP moves every Gaussian on its own where MLLR moves them all together, so it needs
    more speech (a thousand utterances here) and then fits far better: espeak-ng voices it
    was not built from, intent 0.74 with the global MLLR transform against 0.93 (sphinx.py).
    out is replaced whole or not at all."""
    acoustic = model_dir / "en-us"
    *_, map_adapt, sendump = (_tool(n) for n in (*_COUNTING_TOOLS, "map_adapt", "mk_s2sendump"))
    with tempfile.TemporaryDirectory(prefix="voice-skill-adapt-") as folder:
        work = Path(folder)
        used = _count_statistics(utterances, model_dir, work)
        adapted = work / "adapted"
        adapted.mkdir()
        _run([map_adapt, "-moddeffn", str(work / "mdef.txt"), "-ts2cbfn", ".ptm.",
              "-meanfn", str(acoustic / "means"), "-varfn", str(acoustic / "variances"),
              "-mixwfn", str(work / "mixture_weights"),
              "-tmatfn", str(acoustic / "transition_matrices"),
              "-accumdir", str(work / "counts"),
              "-mapmeanfn", str(adapted / "means"), "-mapvarfn", str(adapted / "variances"),
              "-mapmixwfn", str(work / "adapted_mixture_weights"),
              "-maptmatfn", str(adapted / "transition_matrices")],
             "adapting the model (map_adapt)")
        # pocketsphinx's own 8-bit form of the mixture weights, a quarter of the float file's
        # size (1.97 MB against 7.87 MB for en-us, measured).
        _run([sendump, "-pocketsphinx", "yes", "-moddeffn", str(work / "mdef.txt"),
              "-mixwfn", str(work / "adapted_mixture_weights"),
              "-sendumpfn", str(adapted / "sendump")], "writing mixture weights (mk_s2sendump)")
        _install_folder(adapted, out)
    return used


def _install_folder(built: Path, out: Path) -> None:
    """Copy built to out, replacing what was there, so that out is never half-written: the
    copy is staged beside out and renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staged.chmod(0o755)  # mkdtemp makes it private; a model is read by whoever runs the skill
    try:
        for file in built.iterdir():
            shutil.copyfile(file, staged / file.name)
        if out.exists():
            old = out.with_name(f".{out.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staged.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staged.rename(out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
