"""Command line: argparse -> settings -> run. Speech engines are imported only by voice commands."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Callable

from . import __version__
from .errors import VoiceSkillError
from .settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _with_flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line flags override the settings file."""
    if getattr(args, "dialogs", None):
        settings = dataclasses.replace(
            settings, content=dataclasses.replace(settings.content, dialogs_dir=args.dialogs))
    if getattr(args, "emergency_number", None):
        settings = dataclasses.replace(settings, safety=dataclasses.replace(
            settings.safety, emergency_number=args.emergency_number))
    return settings


def _skill(settings: Settings):
    from .content import load_content
    from .dialog import Skill

    return Skill(load_content(settings.content.dialogs_dir), settings)


# --- commands ----------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from .textmode import run_chat

    return run_chat(_skill(settings))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .textmode import run_ask

    if not args.question:
        raise VoiceSkillError("ask: give a question, or '-' to read one a line from stdin")
    return run_ask(_skill(settings), args.question, args.json, sys.stdout, sys.stderr,
                   sys.stdin.buffer)


def cmd_check_dialogs(args: argparse.Namespace, settings: Settings) -> int:
    from .content import load_content
    from .dialog_tests import REQUIRED_IDS, content_problems

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
    from .dialog_tests import load_dialog_tests, run_dialog_test

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


# --- parser ------------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dialogs", type=Path, metavar="DIR",
                        help="content folder to use instead of the shipped dialogs/")
    common.add_argument("--config", type=Path, metavar="FILE",
                        help="settings TOML (default: ./voice-skill.toml, then "
                             "~/.config/voice-skill/config.toml, or $VOICE_SKILL_CONFIG)")
    common.add_argument("--emergency-number", metavar="TEXT",
                        help="what emergency advice tells people to call "
                             "(default: '911 or your local emergency number')")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each subcommand maps to one cmd_* function."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="voice-skill", parents=[common],
        description="Offline voice FAQ about calf-muscle twitching, with red-flag escalation.")
    parser.add_argument("--version", action="version", version=f"voice-skill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, run: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        command.set_defaults(run=run)
        return command

    add("chat", cmd_chat, "typed conversation (line editing and history)")
    ask = add("ask", cmd_ask, "answer questions given as arguments, or '-' for one a line on stdin")
    ask.add_argument("question", nargs="*", help="question text, or - to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object a line: input, "
                     "intent, score, escalation, answer")
    check = add("check-dialogs", cmd_check_dialogs, "validate a content folder")
    check.add_argument("directory", nargs="?", type=Path, help="default: the --dialogs folder")
    tests = add("test-dialogs", cmd_test_dialogs, "run multi-turn dialog tests written as data")
    tests.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the voice-skill command: bad input is one line on stderr and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        args.run = cmd_chat
    try:
        settings = _with_flags(load_settings(args.config), args)
        return args.run(args, settings)
    except VoiceSkillError as error:
        print(f"voice-skill: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
