"""The first-run offer of the recommended English Vosk model.

Someone who starts the skill (or `doctor`) at a terminal with no English Vosk model installed is
asked once whether to download it. A no is remembered in the state folder and never asked
again; an unreachable server is no answer, so the question comes back next time, and its first
connection gives up quickly, so an offline start is not held up. Whatever happens, the skill
carries on: with Vosk once the model is in place, else with pocketsphinx.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .. import paths
from ..asr.models import ModelInfo, TextProgress, by_hand, download, format_size, recommended
from ..asr.vosk import find_vosk_model
from ..errors import ModelStoreError, ModelUnreachableError
from ..settings import Settings

CONNECT_SECONDS = 5.0
"""The offer's download gives up connecting after this long, so an offline start goes on at
once (seconds); once connected, reads are as patient as `models download`'s."""
STATE_FILE = "model-offer.json"
"""In the state folder: the models whose offer was declined, {"declined": [NAME, ...]}."""
AGAIN = "Please answer y (yes) or n (no). [Y/n] "

log = logging.getLogger(__name__)


def state_file() -> Path:
    """Where declined offers are remembered: the per-user state folder, which outlives
    restarts and upgrades, not the models folder, which a person may empty or share."""
    return paths.state_dir() / STATE_FILE


def is_interactive(stdin: TextIO, stdout: TextIO) -> bool:
    """True when a person is at a terminal: both stdin and stdout are terminals."""
    return all(_isatty(stream) for stream in (stdin, stdout))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one (a service manager's)
        return False


def declined(path: Path) -> frozenset[str]:
    """The model names whose offer was declined, as remembered in `path`; none if it is
    missing or unreadable (asking again beats never asking)."""
    try:
        names = json.loads(path.read_text(encoding="utf-8")).get("declined", [])
    except FileNotFoundError:
        return frozenset()
    except (OSError, ValueError, AttributeError) as error:
        log.warning("model offer: ignoring %s (%s)", path, error)
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str))


def remember_declined(path: Path, name: str) -> None:
    """Add `name` to the declined offers in `path`, replacing the file in one rename."""
    names = sorted(declined(path) | {name})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"declined": names}, out)
        os.replace(staging, path)
    except OSError as error:
        log.warning("model offer: cannot remember the answer in %s (%s); it is asked again "
                    "next time", path, error.strerror)


def why_not(settings: Settings, interactive: bool, found: Path | None, refused: frozenset[str],
            info: ModelInfo) -> str | None:
    """Why the offer is not made now, or None when it is due."""
    if not settings.models.offer:
        return "turned off ([models] offer = false)"
    if not interactive:
        return "stdin and stdout are not both a terminal"
    if settings.asr.engine == "pocketsphinx":
        return "the engine is pocketsphinx"
    if found is not None:
        return f"a Vosk model is at hand: {found}"
    if info.name in refused:
        return "declined before"
    return None


def question(info: ModelInfo) -> str:
    """The offer in one line: the model, its size, what it is for, and the default answer."""
    return (f"Download the English speech model {info.name} ({format_size(info.size_bytes)})? "
            f"It recognises speech better than the built-in pocketsphinx. [Y/n] ")


def parse_answer(text: str) -> bool | None:
    """True for yes (Enter alone too: yes is the default), False for no, None otherwise."""
    word = text.strip().lower()
    if word in ("", "y", "yes"):
        return True
    if word in ("n", "no"):
        return False
    return None


def ask(first: str, read_line: Callable[[], str], write: Callable[[str], None]) -> bool:
    """Ask `first`; an answer that is neither yes nor no is asked once more, and a second one
    is taken as no: nothing is downloaded that was not asked for, and nobody is nagged."""
    for prompt in (first, AGAIN):
        write(prompt)
        answer = parse_answer(read_line())
        if answer is not None:
            return answer
    return False


def _reader(stream: TextIO) -> Callable[[], str]:
    # The bytes underneath, when there are any: once the text layer has read, chat can no
    # longer reconfigure stdin's decoding, and a stray byte here cannot end the start.
    binary = getattr(stream, "buffer", None)

    def read_line() -> str:
        line = (binary.readline().decode(errors="replace") if binary is not None
                else stream.readline())
        if not line:  # end of input (Ctrl-D), which an empty line (Enter) is not
            raise EOFError
        return line

    return read_line


def _writer(stream: TextIO) -> Callable[[str], None]:
    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write


def install(info: ModelInfo, directory: Path, out: TextIO) -> Path | None:
    """Download `info` into `directory` with a progress bar on `out`; the model's folder, or
    None after one line saying why not (the skill then carries on with pocketsphinx)."""
    say = _writer(out)
    try:
        return download(info, directory, TextProgress(info.name, out),
                        say=lambda text: say(text + "\n"), connect_timeout=CONNECT_SECONDS)
    except ModelUnreachableError as error:
        say(f"Could not reach the model's server; carrying on with pocketsphinx, and asking "
            f"again next time: {error}.\n")
    except ModelStoreError as error:
        say(f"The download failed; carrying on with pocketsphinx, and asking again next time: "
            f"{error}\n")
    except KeyboardInterrupt:
        # _receive writes as it reads, so what arrived is on disk in NAME.zip.part.
        say(f"\nDownload stopped; the part received is kept in {directory} and the download "
            f"resumes from there next time. Carrying on with pocketsphinx.\n")
    return None


def offer_model(settings: Settings, directory: Path, stdin: TextIO, stdout: TextIO,
                state: Path | None = None, info: ModelInfo | None = None) -> Path | None:
    """Offer the recommended model (or `info`) if it is due; the installed model's folder, or
    None when the skill carries on as it was."""
    info = info or recommended()
    state = state or state_file()
    found = find_vosk_model(settings.asr.model_path, directory)
    reason = why_not(settings, is_interactive(stdin, stdout), found, declined(state), info)
    if reason is not None:
        log.debug("no model offer: %s", reason)
        return None
    write = _writer(stdout)
    try:
        wanted = ask(question(info), _reader(stdin), write)
    except EOFError:
        write("\nNo answer; carrying on with pocketsphinx, and asking again next time.\n")
        return None
    if wanted:
        return install(info, directory, stdout)
    remember_declined(state, info.name)
    write(f"Carrying on with pocketsphinx, and not asking again. To get the model later: "
          f"voice-skill models download {info.name}. {by_hand(info, directory)}.\n")
    return None
