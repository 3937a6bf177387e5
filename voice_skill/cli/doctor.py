"""`voice-skill doctor`: is this machine ready to listen and speak? One line per check.

Each check is a function returning a `Check`; what it probes (devices, engines, the disk) is
passed in, so tests can give it a machine that lacks something this one has.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..asr.models import RECOMMENDED, ModelInfo, by_hand, format_size, recommended
from ..errors import VoiceSkillError
from ..settings import AsrSettings, AudioSettings, Settings, TtsSettings

if TYPE_CHECKING:
    from ..audio.devices import DeviceInfo

OK, WARNING, PROBLEM = "ok", "warning", "problem"

PORTAUDIO_FIX = "apt-get install libportaudio2"
ESPEAK_FIX = "apt-get install espeak-ng libespeak-ng1"
VOSK_MODEL = RECOMMENDED
MIC_SECONDS = 1.0
"""How long the microphone is listened to for its level (seconds)."""
SILENT_DBFS = -90.0
"""A level below this is digital silence: a muted or dead input, not a quiet room (dBFS)."""
DISK_WARNING_BYTES = 1 << 30
"""Free space below this leaves little room for a second model (bytes; a margin, not a need)."""


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    """What was checked, e.g. microphone."""
    status: str
    """ok, warning or problem."""
    detail: str
    """What was found, one line."""
    fix: str = ""
    """What to do about it; empty when there is nothing to do."""

    def line(self) -> str:
        """The check as the doctor prints it."""
        fix = f" -- fix: {self.fix}" if self.fix else ""
        return f"{self.status:<8} {self.name}: {self.detail}{fix}"


# --- the checks ----------------------------------------------------------------------------


def level_dbfs(pcm: bytes) -> float:
    """RMS level of s16le audio relative to full scale (dBFS); -inf for silence."""
    count = len(pcm) // 2
    if count == 0:
        return -math.inf
    samples = struct.unpack(f"<{count}h", pcm[:2 * count])
    rms = math.sqrt(sum(s * s for s in samples) / count)
    return 20 * math.log10(rms / 32768) if rms else -math.inf


def _first_seconds(chunks: Iterable[bytes], seconds: float, rate: int = 16000) -> bytes:
    wanted, taken = int(2 * rate * seconds), bytearray()
    for chunk in chunks:
        taken += chunk
        if len(taken) >= wanted:
            break
    return bytes(taken[:wanted])


MicrophoneOpener = Callable[[], AbstractContextManager[tuple[str, Iterable[bytes]]]]
"""Opens the input device: a context giving its name and 16 kHz mono s16le chunks."""


def check_microphone(open_microphone: MicrophoneOpener, seconds: float = MIC_SECONDS) -> Check:
    """Open the input device, listen for `seconds`, report its level in dBFS."""
    try:
        with open_microphone() as (name, chunks):
            pcm = _first_seconds(chunks, seconds)
    # A doctor reports whatever breaks (PortAudio's own errors are no OSError) instead of dying.
    except Exception as error:  # noqa: BLE001
        return Check("microphone", PROBLEM, f"none usable ({error})", _audio_fix(str(error)))
    level = level_dbfs(pcm)
    heard = f"{name}: level {level:.1f} dBFS over {len(pcm) / 32000:.1f} s"
    if level < SILENT_DBFS:
        return Check("microphone", WARNING, f"{heard} (digital silence)",
                     "unmute it (alsamixer, or the microphone's own switch) or pick another "
                     "with [audio] device (voice-skill devices lists them)")
    return Check("microphone", OK, heard)


def _audio_fix(error: str) -> str:
    if "libportaudio2" in error or "PortAudio library" in error:
        return PORTAUDIO_FIX
    return ("connect a microphone (a USB one works), then `voice-skill devices`; "
            "set [audio] device if it is not the default")


def check_speaker(find_output: Callable[[], tuple[int, str, float]]) -> Check:
    """An output device is present (`find_output` returns its index, name and rate)."""
    try:
        index, name, rate = find_output()
    except Exception as error:  # noqa: BLE001 - as for the microphone
        fix = _audio_fix(str(error)) if "PortAudio" in str(error) else (
            "connect a speaker or headphones; answers are printed meanwhile")
        return Check("speaker", PROBLEM, f"none ({error})", fix)
    return Check("speaker", OK, f"{index}: {name} ({rate:g} Hz)")


def check_recognizer(settings: AsrSettings, open_engine: Callable[[], object],
                     folder: str) -> Check:
    """Which engine `auto` picks, with which model, and whether it loads."""
    try:
        engine = open_engine()
    except VoiceSkillError as error:
        fix = (f"voice-skill models download {VOSK_MODEL}" if "Vosk model" in str(error)
               else "see the message; `voice-skill models list` shows the models")
        return Check("recognition", PROBLEM, str(error), fix)
    description = str(getattr(engine, "description", engine))
    if description.startswith("pocketsphinx") and settings.engine == "auto":
        return Check("recognition", OK, f"loads: {description}; auto picks Vosk once a model is "
                     f"in {folder}: voice-skill models download {VOSK_MODEL}")
    return Check("recognition", OK, f"loads: {description}")


def check_model(info: ModelInfo, found: Path | None, folder: Path) -> Check:
    """Whether a Vosk model is at hand (`found`, the recommended `info` or another), and how to
    get the recommended one into `folder` when none is."""
    if found is not None and found.name == info.name:
        return Check("model", OK, f"the recommended {info.name} is installed in {found.parent}")
    if found is not None:
        return Check("model", OK, f"Vosk model {found} (the recommended one is {info.name})")
    return Check("model", WARNING, f"no English Vosk model in {folder}, so pocketsphinx "
                 f"listens; the recommended {info.name} ({format_size(info.size_bytes)}) "
                 f"recognises better", f"voice-skill models download {info.name}. "
                 f"{by_hand(info, folder)}")


def check_speech(settings: TtsSettings, synthesize: Callable[[str], tuple[int, int, str]],
                 which: Callable[[str], str | None] = shutil.which) -> Check:
    """The speech engine has a voice and says a word (`synthesize` returns samples, rate,
    voice)."""
    espeak = which("espeak-ng")
    try:
        samples, rate, voice = synthesize("hello")
    except (VoiceSkillError, OSError, RuntimeError) as error:
        return Check("speech", PROBLEM, f"cannot synthesise ({error})", ESPEAK_FIX)
    if samples == 0:
        return Check("speech", PROBLEM, f"voice {voice!r} produced no audio for 'hello'",
                     ESPEAK_FIX)
    found = f"voice {voice}, 'hello' is {samples / rate:.2f} s at {rate} Hz"
    if espeak is None:
        return Check("speech", WARNING, f"{found}; no espeak-ng program (pocketsphinx accents "
                     f"use it)", ESPEAK_FIX)
    return Check("speech", OK, f"{found}; espeak-ng at {espeak}")


def check_platform(machine: str = platform.machine(), pointer_bits: int = 8 * struct.calcsize("P"),
                   version: Sequence[int] = sys.version_info[:3]) -> Check:
    """CPU architecture and Python version; 32-bit ARM lacks wheels for the heavy packages."""
    found = f"{machine}, {pointer_bits}-bit Python {'.'.join(map(str, version))}"
    if tuple(version[:2]) < (3, 11):
        return Check("platform", PROBLEM, f"{found}: Python 3.11 or newer is needed",
                     "use Debian 12 / Raspberry Pi OS bookworm, whose python3 is 3.11")
    arm32 = machine.startswith("arm") or (machine == "aarch64" and pointer_bits == 32)
    if arm32:
        return Check("platform", WARNING, f"{found}: no wheels for numpy, PyYAML and "
                     "pocketsphinx on 32-bit ARM, so pip must build them",
                     "install the 64-bit Raspberry Pi OS (bookworm) on a Pi 4 or 5")
    return Check("platform", OK, found)


def check_settings(path: Path | None, load: Callable[[Path | None], Settings]) -> Check:
    """The settings load, and which file they came from."""
    try:
        load(path)
    except VoiceSkillError as error:
        return Check("settings", PROBLEM, str(error), f"correct {path}" if path else "")
    return Check("settings", OK, f"loaded {path}" if path else
                 "no settings file, built-in defaults (./voice-skill.toml or "
                 "~/.config/voice-skill/config.toml would be read)")


def check_dialogs(directory: Path) -> Check:
    """The dialogs load and pass validation."""
    from ..content.loader import load_content
    from ..nlu.dialog_tests import REQUIRED_IDS, content_problems
    from ..settings import shipped_dialogs

    try:
        content = load_content(directory)
    except VoiceSkillError as error:
        return Check("dialogs", PROBLEM, str(error), f"voice-skill check-dialogs {directory}")
    shipped = directory.resolve() == shipped_dialogs().resolve()
    problems = content_problems(content, REQUIRED_IDS if shipped else ())
    found = f"{directory}: {len(content.dialogs)} dialogs, {len(content.rules)} red-flag rules"
    if problems:
        return Check("dialogs", PROBLEM, f"{found}, {len(problems)} problems: {problems[0]}",
                     f"voice-skill check-dialogs {directory}")
    return Check("dialogs", OK, found)


def check_disk(folder: Path, free_bytes: Callable[[Path], int] | None = None) -> Check:
    """Free space where models are downloaded."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = (free_bytes or (lambda p: shutil.disk_usage(p).free))(existing)
    found = f"{free / 2**20:.0f} MiB free for models in {folder}"
    small = recommended()
    if free < 2 * small.size_bytes:  # the archive and its unpacked folder side by side a moment
        return Check("disk", PROBLEM, f"{found}; {small.name} alone needs its "
                     f"{format_size(small.size_bytes)} archive and the unpacked model",
                     "free some space, or pass --models-dir on a larger disk")
    if free < DISK_WARNING_BYTES:
        return Check("disk", WARNING, f"{found}: room for one small model at most",
                     "free some space before downloading larger models")
    return Check("disk", OK, found)


# --- the real machine ----------------------------------------------------------------------


def settings_file(explicit: Path | None) -> Path | None:
    """The settings file the command line reads (config.find_config's search order)."""
    from ..config import find_config

    return find_config(explicit, os.environ)


class _OpenMicrophone(AbstractContextManager[tuple[str, Iterable[bytes]]]):
    """The real microphone as check_microphone wants it."""

    def __init__(self, settings: AudioSettings) -> None:
        from ..audio.devices import Microphone

        self._microphone = Microphone(settings)

    def __enter__(self) -> tuple[str, Iterable[bytes]]:
        self._microphone.__enter__()
        device = self._microphone.device
        return (f"{device.index}: {device.name}" if device else "default"), \
            self._microphone.chunks()

    def __exit__(self, *exc: object) -> None:
        self._microphone.close()


def _synthesize(settings: TtsSettings) -> Callable[[str], tuple[int, int, str]]:
    def run(text: str) -> tuple[int, int, str]:
        from ..tts.worker import SpeechWorker

        with SpeechWorker(settings) as worker:
            speech = worker.synthesize(text)
            return len(speech.pcm) // 2, speech.sample_rate, worker.voice

    return run


def _recognizer(settings: Settings, models: Path) -> Callable[[], object]:
    def run() -> object:
        from ..asr.registry import open_recognizer
        from ..content.loader import load_content

        phrases = load_content(settings.content.dialogs_dir).recognition_phrases()
        return open_recognizer(settings.asr, phrases, models)

    return run


def _summary(device: DeviceInfo) -> tuple[int, str, float]:
    """A device's index, name and native rate (hertz), as check_speaker reports them."""
    return device.index, device.name, device.default_samplerate


def machine_checks(settings: Settings, config: Path | None) -> Iterator[Check]:
    """Every check, against this machine, in the order they are printed."""
    from ..asr.models import models_dir
    from ..asr.vosk import find_vosk_model
    from ..audio.devices import find_device
    from ..config import load_settings

    models = models_dir()
    yield check_platform()
    yield check_settings(settings_file(config), load_settings)
    yield check_dialogs(settings.content.dialogs_dir)
    yield check_microphone(lambda: _OpenMicrophone(settings.audio))
    yield check_speaker(lambda: _summary(find_device(None, "output")))
    yield check_recognizer(settings.asr, _recognizer(settings, models), str(models))
    yield check_model(recommended(), find_vosk_model(settings.asr.model_path, models), models)
    yield check_speech(settings.tts, _synthesize(settings.tts))
    yield check_disk(models)


def run_doctor(checks: Iterable[Check], out: IO[str]) -> int:
    """Print each check as it finishes; 1 when any found a problem, else 0."""
    problems = 0
    for check in checks:
        print(check.line(), file=out, flush=True)
        problems += check.status == PROBLEM
    summary = f"{problems} problem(s) found" if problems else "no problems found"
    print(summary, file=out)
    return 1 if problems else 0
