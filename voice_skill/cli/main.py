"""Command line: argparse -> settings -> run. Speech engines are imported only by voice commands."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import io
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..config import Key, parse_text, resolve, show_lines
from ..errors import VoiceSkillError
from ..settings import ASR_ENGINES, VOSK_MODES, Settings, stages
from .logs import LEVELS, setup_logging

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

log = logging.getLogger(__name__)


# flag name -> (settings stage, field)
_FLAG_FIELDS = {
    "dialogs": ("content", "dialogs_dir"), "emergency_number": ("safety", "emergency_number"),
    "engine": ("asr", "engine"), "model": ("asr", "model_path"), "mode": ("asr", "mode"),
    "device": ("audio", "device"), "trailing_silence": ("audio", "trailing_silence"),
    "voice": ("tts", "voice"), "rate": ("tts", "rate"), "volume": ("tts", "volume"),
    "start": ("voice", "start"), "wake_phrase": ("voice", "wake_phrase"),
    "captions": ("voice", "captions"), "earcons": ("voice", "earcons"),
    "barge_in": ("voice", "barge_in"),
}


def flag_values(args: argparse.Namespace) -> list[tuple[Key, object, str]]:
    """The settings given as flags, as (key, value, --flag), read like a settings value so the
    settings' one check names the flag when one is wrong."""
    given = []
    for flag, (section, key) in _FLAG_FIELDS.items():
        text = getattr(args, flag, None)
        if text is not None:
            # Switches (--quiet) give a bool already; typed values are read as text.
            value = parse_text(stages()[section], key, text) if isinstance(text, str) else text
            given.append(((section, key), value, "--" + flag.replace("_", "-")))
    return given


def _skill(settings: Settings):
    from ..content.loader import load_content
    from ..nlu.dialog import Skill

    return Skill(load_content(settings.content.dialogs_dir), settings)


# --- commands ----------------------------------------------------------------------------


def _unanswered_log(settings: Settings):
    """The opt-in log of unanswered questions, or None (the default)."""
    from ..unanswered import UnansweredLog

    return UnansweredLog.open(settings.privacy)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from .textmode import run_chat

    return run_chat(_skill(settings), unanswered=_unanswered_log(settings))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .textmode import run_ask

    if args.wav:
        if args.question:
            raise VoiceSkillError("ask: give question text or --wav files, not both")
        return cmd_ask_wav(args, settings)
    if not args.question:
        raise VoiceSkillError("ask: give a question, or '-' to read one a line from stdin")
    return run_ask(_skill(settings), args.question, args.json, sys.stdout, sys.stderr,
                   sys.stdin.buffer, unanswered=_unanswered_log(settings))


def _recognizer(skill, settings: Settings):
    """The speech engine settings ask for, announced on stderr (never switched silently)."""
    from ..asr.models import models_dir
    from ..asr.registry import open_recognizer

    recognizer = open_recognizer(settings.asr, skill.content.recognition_phrases(), models_dir())
    log.info("listening with %s", recognizer.description)
    return recognizer


def cmd_ask_wav(args: argparse.Namespace, settings: Settings) -> int:
    from ..voice.files import answer_files

    skill = _skill(settings)
    return answer_files(skill, _recognizer(skill, settings), args.wav, settings.audio,
                        args.json, sys.stdout, sys.stderr)


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from ..voice.files import transcribe_files

    skill = _skill(settings)
    return transcribe_files(_recognizer(skill, settings), args.files, settings.audio,
                            sys.stdout, sys.stderr)


def cmd_reply(args: argparse.Namespace, settings: Settings) -> int:
    from ..tts.speaker import open_speaker
    from ..voice.files import reply_to_file

    skill = _skill(settings)
    recognizer = _recognizer(skill, settings)
    speaker = open_speaker(settings.tts, out=args.out)
    try:
        reply_to_file(skill, recognizer, args.input, speaker, settings.audio, sys.stdout,
                      sys.stderr)
    finally:
        speaker.close()
    return EXIT_OK


def _stacks_on_sigusr1() -> None:
    """`kill -USR1 PID` prints where each thread of a running skill is, and it goes on."""
    if hasattr(signal, "SIGUSR1"):
        # stderr may be no real file (captured in tests, or closed by a service manager).
        with contextlib.suppress(io.UnsupportedOperation, AttributeError, ValueError, OSError):
            faulthandler.register(signal.SIGUSR1, all_threads=True)


def cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    from ..asr.models import models_dir
    from ..asr.registry import open_recognizer
    from ..audio.wav import read_raw_pcm
    from ..service import Notifier, watchdog
    from ..tts.earcon import earcon_volume
    from ..tts.speaker import open_speaker
    from ..voice import app

    _stacks_on_sigusr1()
    skill = _skill(settings)
    notifier = Notifier.from_environment()
    # Under systemd (Type=notify): READY=1 once audio flows, WATCHDOG=1 while the session runs.
    observers = [*app.observers_for(settings, sys.stdout, sys.stderr), watchdog(notifier)]
    phrases = app.listening_phrases(skill, settings)
    recognizer = app.resilient_recognizer(
        lambda: open_recognizer(settings.asr, phrases, models_dir()), observers)
    log.info("listening with %s", recognizer.description)
    button = app.choose_button(settings, args.stdin, sys.stdin)
    wake = None
    if settings.voice.start == "wake":
        from ..asr.registry import open_wake_spotter

        wake = open_wake_spotter(settings, settings.asr.engine, models_dir())
        log.info("wake phrase: %s", wake.description)
    with contextlib.ExitStack() as resources:
        # The captions print every reply already; a speaker that can only print stays quiet.
        quiet = resources.enter_context(open(os.devnull, "w"))
        speaker = open_speaker(settings.tts, out=args.out, output_device=args.output_device,
                               text_stream=quiet, earcon_volume=earcon_volume(settings.voice))
        resources.callback(speaker.close)
        # A recording on stdin is not a room: answers are spoken whole, nothing barges in.
        live = not args.stdin and args.out is None
        session = app.build_session(skill, recognizer, speaker, settings, observers,
                                    wake=wake, button=button, live=live)
        chunks = (read_raw_pcm(sys.stdin.buffer) if args.stdin
                  else app.microphone_chunks(settings, observers))
        try:
            return app.run_session(session, chunks)
        finally:
            notifier.stopping()


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """No command: listen when a microphone is there, else typed chat (saying why)."""
    from ..errors import AudioError

    try:
        from ..audio.devices import find_device

        find_device(settings.audio.device, "input")
    except (AudioError, OSError) as error:
        log.warning("no microphone (%s); starting typed chat", error)
        return cmd_chat(args, settings)
    args.out, args.output_device, args.stdin = None, None, False
    return cmd_listen(args, settings)


def cmd_devices(args: argparse.Namespace, settings: Settings) -> int:
    from ..audio.devices import list_devices

    devices = list_devices()
    if not devices:
        log.error("no audio devices found")
        return EXIT_FAILED
    for device in devices:
        kinds = ", ".join(k for k, n in (("in", device.max_input_channels),
                                         ("out", device.max_output_channels)) if n)
        print(f"{device.index:3d}  {device.name}  ({kinds}, {device.default_samplerate:g} Hz)")
    return EXIT_OK


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from ..asr.models import download, find_model, format_catalog, models_folder

    folder = models_folder(args.models_dir)
    directory = folder.path
    if args.action == "list":
        print(format_catalog(directory))
    elif args.action == "path":
        print(directory)
        print(f"voice-skill: models folder: {folder.describe()}", file=sys.stderr)
    else:
        if not args.name:
            raise VoiceSkillError("models download: name a model (see `voice-skill models list`)")
        print(download(find_model(args.name), directory))
    return EXIT_OK


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    resolved = resolve(args.config, flags=flag_values(args))
    if args.action == "path":
        print(resolved.file if resolved.file else "(none: built-in defaults)")
    else:
        print("\n".join(show_lines(resolved)))
    return EXIT_OK


def cmd_check_dialogs(args: argparse.Namespace, settings: Settings) -> int:
    from ..content.loader import load_content
    from ..nlu.dialog_tests import REQUIRED_IDS, content_problems

    directory = args.directory or settings.content.dialogs_dir
    content = load_content(directory)
    shipped = directory.resolve() == Settings().content.dialogs_dir.resolve()
    problems = content_problems(content, REQUIRED_IDS if shipped else ())
    for problem in problems:
        print(problem, file=sys.stderr)
    rules = len(content.rules)
    examples = sum(len(r.escalate_examples) + len(r.calm_examples) for r in content.rules)
    print(f"{directory}: {len(content.dialogs)} dialogs, "
          f"{sum(len(d.phrasings) for d in content.dialogs)} phrasings, {rules} red-flag rules, "
          f"{examples} red-flag examples: {'ok' if not problems else f'{len(problems)} problems'}")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_test_dialogs(args: argparse.Namespace, settings: Settings) -> int:
    from ..nlu.dialog_tests import load_dialog_tests, run_dialog_test

    skill = _skill(settings)
    passed = failed = 0
    bad_files = False
    for path in args.files:
        try:
            tests = load_dialog_tests(path)
        except VoiceSkillError as error:
            print(f"ERROR {error}", file=sys.stderr)
            bad_files = True
            continue
        for test in tests:
            problems = run_dialog_test(test, skill)
            passed, failed = passed + (not problems), failed + bool(problems)
            print(f"{'PASS' if not problems else 'FAIL'} {test.name}")
            for problem in problems:
                print(f"    {problem}")
    print(f"{passed} passed, {failed} failed")
    return EXIT_BAD_INPUT if bad_files else (EXIT_FAILED if failed else EXIT_OK)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from .doctor import machine_checks, run_doctor

    return run_doctor(machine_checks(settings, args.config), sys.stdout)


def offer_model(settings: Settings) -> None:
    """At a terminal, the voice loop and doctor offer the recommended English Vosk model once
    (cli/offer.py); whatever the answer, the command then runs."""
    from ..asr.models import models_dir
    from .offer import offer_model as offer

    offer(settings, models_dir(), sys.stdin, sys.stdout)


OFFERING = (cmd_start, cmd_listen, cmd_doctor)
"""The commands before which the model is offered: the ones that listen, and the checkup."""


# --- parser ------------------------------------------------------------------------------


def _common(default: object = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, argument_default=default)
    # Settings flags stay text here: the settings' own check reads and names them.
    common.add_argument("--dialogs", metavar="DIR",
                        help="content folder to use instead of the shipped dialogs/")
    common.add_argument("--config", type=Path, metavar="FILE",
                        help="settings TOML (default: $VOICE_SKILL_CONFIG, else the first of "
                             "./voice-skill.toml, ~/.config/voice-skill/config.toml, "
                             "/etc/voice-skill/config.toml)")
    common.add_argument("--debug", action="store_const", const="debug", dest="log_level",
                        help="log everything (same as --log-level debug)")
    common.add_argument("--log-level", choices=LEVELS, metavar="LEVEL",
                        help=f"least important log records shown: {', '.join(LEVELS)} "
                             "(default info)")
    common.add_argument("--emergency-number", metavar="TEXT",
                        help="what emergency advice tells people to call "
                             "(default: '911 or your local emergency number')")
    return common


def _voice_flags(default: object = None) -> argparse.ArgumentParser:
    voice = argparse.ArgumentParser(add_help=False, argument_default=default)
    voice.add_argument("--engine", metavar="|".join(ASR_ENGINES),
                       help="speech engine (auto: Vosk when an English Vosk model is installed)")
    voice.add_argument("--model", metavar="PATH", help="Vosk model folder")
    voice.add_argument("--mode", metavar="|".join(VOSK_MODES),
                       help="Vosk decoding mode (default two-pass)")
    voice.add_argument("--device", metavar="DEV", help="input device: index or part of its name")
    voice.add_argument("--trailing-silence", metavar="SECONDS",
                       help="silence that ends an utterance (default 0.6)")
    voice.add_argument("--voice", help="speech voice id or part of its name")
    voice.add_argument("--rate", metavar="WPM", help="speaking rate, words per minute")
    voice.add_argument("--volume", metavar="0..1", help="speaking volume, 0.0 to 1.0")
    return voice


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each subcommand maps to one cmd_* function."""
    # The shared flags work before or after the command; the command's copy must not reset
    # a value given before it, so its defaults are "absent".
    common, voice = _common(argparse.SUPPRESS), _voice_flags(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="voice-skill", parents=[_common(), _voice_flags()],
        description="Offline voice FAQ about calf-muscle twitching, with red-flag escalation.")
    parser.add_argument("--version", action="version", version=f"voice-skill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, run: Callable[..., int], help_text: str,
            speech: bool = False) -> argparse.ArgumentParser:
        parents = [common, voice] if speech else [common]
        command = sub.add_parser(name, parents=parents, help=help_text, description=help_text)
        command.set_defaults(run=run)
        return command

    add("chat", cmd_chat, "typed conversation (line editing and history)")
    ask = add("ask", cmd_ask, "answer questions given as arguments, '-' for one a line on "
              "stdin, or --wav files", speech=True)
    ask.add_argument("question", nargs="*", help="question text, or - to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object a line: input, "
                     "intent, score, escalation, answer (and transcript with --wav)")
    ask.add_argument("--wav", nargs="+", type=Path, metavar="FILE",
                     help="spoken questions in WAV files, one answer per file, in order")
    listen = add("listen", cmd_listen, "hands-free loop: listen, answer aloud, until 'stop'",
                 speech=True)
    listen.add_argument("--output-device", metavar="DEV",
                        help="playback device: index or part of its name")
    listen.add_argument("--out", type=Path, metavar="FILE.wav",
                        help="write what is said to a WAV file instead of playing it")
    listen.add_argument("--start", choices=("always", "wake", "button"),
                        help="always: every utterance is a question (default); wake: only after "
                        "the wake phrase; button: after Enter or the GPIO button")
    listen.add_argument("--wake-phrase", metavar="WORDS", help="default 'hey computer'")
    listen.add_argument("--quiet", dest="captions", action="store_false", default=None,
                        help="no captions on the terminal (a service; the log still tells)")
    listen.add_argument("--no-earcons", dest="earcons", action="store_false", default=None,
                        help="no tones when listening starts and stops")
    listen.add_argument("--no-barge-in", dest="barge_in", action="store_false", default=None,
                        help="answers cannot be interrupted")
    listen.add_argument("--stdin", action="store_true",
                        help="read raw 16 kHz mono 16-bit PCM from stdin instead of a microphone")
    reply = add("reply", cmd_reply, "a spoken question in, a spoken answer out", speech=True)
    reply.add_argument("input", type=Path, metavar="IN.wav")
    reply.add_argument("--out", type=Path, metavar="OUT.wav", required=True)
    transcribe = add("transcribe", cmd_transcribe, "speech to text for WAV files", speech=True)
    transcribe.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add("devices", cmd_devices, "list audio devices")
    models = add("models", cmd_models, "list, download or locate Vosk speech models")
    models.add_argument("action", choices=("list", "download", "path"))
    models.add_argument("name", nargs="?", help="model name, for download")
    models.add_argument("--models-dir", type=Path, metavar="DIR",
                        help="where models live (default: models/ in a checkout, else the "
                        "per-user data folder or /var/lib/voice-skill/models)")
    config = add("config", cmd_config, "show the effective settings and where each came from "
                 "(show), or which settings file is used (path)", speech=True)
    config.add_argument("action", choices=("show", "path"), nargs="?", default="show")
    check = add("check-dialogs", cmd_check_dialogs, "validate a content folder")
    check.add_argument("directory", nargs="?", type=Path, help="default: the --dialogs folder")
    add("doctor", cmd_doctor, "check microphone, speaker, engines, settings, dialogs and disk, "
        "with the fix for each problem", speech=True)
    tests = add("test-dialogs", cmd_test_dialogs, "run multi-turn dialog tests written as data")
    tests.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the voice-skill command: bad input is one line on stderr and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        args.run = cmd_start
    setup_logging(getattr(args, "log_level", None) or "info", sys.stderr)
    try:
        resolved = resolve(args.config, flags=flag_values(args))
        log.debug("settings from %s", resolved.file or "built-in defaults")
        if args.run in OFFERING:
            offer_model(resolved.settings)
        return args.run(args, resolved.settings)
    except VoiceSkillError as error:
        print(f"voice-skill: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
