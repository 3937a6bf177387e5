"""Settings that cannot hurt: one check from annotations and field metadata, sources that say
where each value came from, the opt-in unanswered-questions log, chat history's folder."""

from __future__ import annotations

import dataclasses
import json
import logging
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from voice_skill import paths
from voice_skill.cli import textmode
from voice_skill.cli.logs import setup_logging
from voice_skill.config import config_candidates, resolve, settings_from_toml, show_lines
from voice_skill.errors import ConfigError
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.settings import (
    AsrSettings,
    AudioSettings,
    DialogSettings,
    MatchSettings,
    ModelsSettings,
    PrivacySettings,
    Settings,
    Stage,
    TtsSettings,
    field_specs,
    stages,
)
from voice_skill.unanswered import UnansweredLog

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings file, variable or state folder of the machine leaks into a test."""
    for name in list(__import__("os").environ):
        if name.startswith("VOICE_SKILL_") or name == "JOURNAL_STREAM":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setattr(paths, "SYSTEM_CONFIG", tmp_path / "etc" / "config.toml")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


# --- the one check ------------------------------------------------------------------------------

@pytest.mark.parametrize(("build", "message"), [
    (lambda: AudioSettings(trailing_silence="0.6"),  # type: ignore[arg-type]
     '[audio] trailing_silence: expected a number of seconds between 0.1 and 5, '
     'got the string "0.6"'),
    (lambda: AudioSettings(trailing_silence=9), "between 0.1 and 5, got 9"),
    (lambda: AudioSettings(max_utterance=0.5, min_speech=0.6),
     "[audio] max_utterance: expected a number of seconds between 1 and 120, got 0.5"),
    (lambda: AudioSettings(device=3), "[audio] device: expected text, got 3"),  # type: ignore
    (lambda: MatchSettings(answer_threshold="high"),  # type: ignore[arg-type]
     '[match] answer_threshold: expected a number between 0 and 100, got the string "high"'),
    (lambda: MatchSettings(answer_threshold=101), "between 0 and 100, got 101"),
    (lambda: MatchSettings(answer_threshold=40),
     "expected fallback_threshold <= answer_threshold <= confident_threshold, got 48, 40, 90"),
    (lambda: AsrSettings(engine="whisper"),
     '[asr] engine: expected one of "auto", "vosk", "pocketsphinx", got the string "whisper"'),
    (lambda: AsrSettings(mode="fast"), '[asr] mode: expected one of "grammar", "open"'),
    (lambda: AsrSettings(sphinx_lm="huge"), '[asr] sphinx_lm: expected one of "generic"'),
    (lambda: AsrSettings(min_confidence=1.5), "[asr] min_confidence: expected a number between 0"),
    (lambda: AsrSettings(accents="en-gb"),  # type: ignore[arg-type]
     '[asr] accents: expected a list of text, got the string "en-gb"'),
    (lambda: AsrSettings(sphinx_adaptations=("espeak-ng", 3)),  # type: ignore[arg-type]
     '[asr] sphinx_adaptations: expected a list of text, got the list ["espeak-ng", 3]'),
    (lambda: AsrSettings(noise_suppression="yes"),  # type: ignore[arg-type]
     '[asr] noise_suppression: expected true or false, got the string "yes"'),
    (lambda: AsrSettings(model_path=""),  # type: ignore[arg-type]
     "[asr] model_path: expected a path"),
    (lambda: TtsSettings(rate=10), "[tts] rate: expected a whole number of words per minute "
                                   "between 80 and 450, got 10"),
    (lambda: TtsSettings(rate=165.0), "[tts] rate: expected a whole number"),  # type: ignore
    (lambda: TtsSettings(volume=1.5), "[tts] volume: expected a number between 0 and 1"),
    (lambda: TtsSettings(timeout=0), "[tts] timeout: expected a number of seconds between 0.5"),
    (lambda: DialogSettings(safety_check="yes"),  # type: ignore[arg-type]
     '[dialog] safety_check: expected true or false, got the string "yes"'),
    (lambda: DialogSettings(idle_reset_seconds=True),  # type: ignore[arg-type]
     "[dialog] idle_reset_seconds: expected a number of seconds between 1 and 3600, got true"),
    (lambda: ModelsSettings(offer="no"),  # type: ignore[arg-type]
     '[models] offer: expected true or false, got the string "no"'),
    (lambda: PrivacySettings(retention_days=0), "[privacy] retention_days: expected a whole "
                                                "number of days between 1 and 3650, got 0"),
])
def test_a_bad_value_is_one_error_naming_section_key_and_what_is_expected(
        build: typing.Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build()
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_values_are_normalised_to_the_annotated_type() -> None:
    asr = AsrSettings(accents=["en-gb", "en-029"], model_path="/models/x")  # type: ignore[arg-type]
    assert asr.accents == ("en-gb", "en-029") and asr.model_path == Path("/models/x")
    threshold = MatchSettings(answer_threshold=70).answer_threshold
    assert threshold == 70.0 and type(threshold) is float


def _ranged_fields():  # type: ignore[no-untyped-def]
    for section, stage in stages().items():
        for spec in field_specs(stage):
            if "range" in spec.metadata:
                yield pytest.param(stage, spec, id=f"{section}.{spec.name}")


@pytest.mark.parametrize(("stage", "spec"), list(_ranged_fields()))
def test_every_range_takes_its_bounds_and_nothing_beyond(stage: type[Stage],
                                                         spec: dataclasses.Field) -> None:
    low, high = spec.metadata["range"]
    whole = typing.get_type_hints(stage)[spec.name] in (int, int | None)
    step = 1 if whole else 0.001
    others: dict[str, float] = {"min_speech": 0.0} if spec.name == "max_utterance" else {}
    for good in (low, high):
        if stage is MatchSettings:  # the three thresholds must stay in order
            others = dict.fromkeys(("fallback_threshold", "answer_threshold",
                                    "confident_threshold"), good)
        assert getattr(stage(**{**others, spec.name: good}), spec.name) == good
    for bad in (low - step, high + step):
        with pytest.raises(ConfigError, match=rf"\[{stage.SECTION}\] {spec.name}: expected"):
            stage(**{**others, spec.name: bad})


def test_the_defaults_pass_their_own_check() -> None:
    settings = Settings()
    for section in stages():
        stage = getattr(settings, section)
        assert dataclasses.replace(stage) == stage


# --- files, environment, flags, sources -------------------------------------------------------

def test_a_file_error_names_the_file_section_and_key() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_toml('[audio]\ntrailing_silence = "0.6"\n', "voice-skill.toml")
    assert str(raised.value) == ('voice-skill.toml: [audio] trailing_silence: expected a number '
                                 'of seconds between 0.1 and 5, got the string "0.6"')


@pytest.mark.parametrize(("toml", "message"), [
    ("[safety]\nemergency_numbr = '112'\n", "cfg.toml: unknown key 'emergency_numbr' in [safety] "
                                            "(known: emergency_number, confirm, confirm_below, "
                                            "recall, recall_threshold, recall_model)"),
    ("[safty]\n", "cfg.toml: unknown section [safty] (known: content, match, safety,"),
    ("audio = 3\n", "cfg.toml: [audio] must be a table, got 3"),
    ("[audio]\nmax_utterance = 1\nmin_speech = 1\n",
     "cfg.toml: [audio] max_utterance: expected more seconds than min_speech (1), got 1"),
])
def test_unknown_and_misplaced_settings_are_errors(toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_toml(toml, "cfg.toml")
    assert str(raised.value).startswith(message)


def test_search_path_order(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local, user, system = config_candidates()
    assert (local, system) == (Path("voice-skill.toml"), isolated / "etc" / "config.toml")
    assert user == isolated / "home" / "config" / "voice-skill" / "config.toml"
    assert resolve(environ={}).file is None
    for number, path in enumerate((system, user, local), start=1):  # each beats the one before
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'[safety]\nemergency_number = "{number}"\n', encoding="utf-8")
        resolved = resolve(environ={})
        assert (resolved.file, resolved.settings.safety.emergency_number) == (path, str(number))
    named = isolated / "named.toml"
    named.write_text('[safety]\nemergency_number = "env"\n', encoding="utf-8")
    assert resolve(environ={"VOICE_SKILL_CONFIG": str(named)}).file == named
    assert resolve(local, environ={"VOICE_SKILL_CONFIG": str(named)}).file == local


def test_environment_beats_the_file_and_flags_beat_both(isolated: Path) -> None:
    config = isolated / "cfg.toml"
    config.write_text("[audio]\ntrailing_silence = 1.0\nmin_speech = 0.3\n", encoding="utf-8")
    environ = {"VOICE_SKILL_AUDIO_TRAILING_SILENCE": "1.5", "VOICE_SKILL_AUDIO_DEVICE": "1",
               "VOICE_SKILL_ASR_ACCENTS": '["en-gb", "en-029"]', "VOICE_SKILL_ASR_MODE": "open",
               "VOICE_SKILL_SAFETY_EMERGENCY_NUMBER": "112"}
    resolved = resolve(config, environ, flags=[(("asr", "mode"), "grammar", "--mode")])
    settings = resolved.settings
    assert (settings.audio.trailing_silence, settings.audio.min_speech) == (1.5, 0.3)
    assert settings.audio.device == "1"  # a text setting takes the words as written
    assert settings.safety.emergency_number == "112"
    assert settings.asr.accents == ("en-gb", "en-029") and settings.asr.mode == "grammar"
    assert resolved.source("audio", "min_speech") == f"file {config}"
    assert resolved.source("audio", "trailing_silence") == \
        "environment $VOICE_SKILL_AUDIO_TRAILING_SILENCE"
    assert resolved.source("asr", "mode") == "flag --mode"
    assert resolved.source("tts", "rate") == "default"
    lines = show_lines(resolved)
    assert len(lines) == sum(len(field_specs(stage)) for stage in stages().values())
    assert f"[audio] min_speech = 0.3  # file {config}" in lines
    assert '[asr] accents = ["en-gb", "en-029"]  # environment $VOICE_SKILL_ASR_ACCENTS' in lines
    assert "[tts] voice = (none)  # default" in lines


def test_the_model_offer_is_on_by_default_and_turned_off_in_the_file_or_environment(
        isolated: Path) -> None:
    assert Settings().models.offer is True
    assert settings_from_toml("[models]\noffer = false\n").models.offer is False
    resolved = resolve(environ={"VOICE_SKILL_MODELS_OFFER": "false"})
    assert resolved.settings.models.offer is False
    assert resolved.source("models", "offer") == "environment $VOICE_SKILL_MODELS_OFFER"
    # The download mirror's variable is no setting, though its name is close to [models].
    mirror = resolve(environ={"VOICE_SKILL_MODEL_MIRROR": "http://mirror.lan/vosk/"})
    assert mirror.settings.models.offer is True


@pytest.mark.parametrize(("environ", "message"), [
    ({"VOICE_SKILL_MODELS_OFFER": "sometimes"},
     ('$VOICE_SKILL_MODELS_OFFER: [models] offer: expected true or false, got the string '
      '"sometimes"')),
    ({"VOICE_SKILL_AUDIO_TRAILING_SILENCE": "soon"},
     '$VOICE_SKILL_AUDIO_TRAILING_SILENCE: [audio] trailing_silence: expected a number of '
     'seconds between 0.1 and 5, got the string "soon"'),
    ({"VOICE_SKILL_TTS_RAT": "100"}, "$VOICE_SKILL_TTS_RAT: [tts] has no key 'rat'"),
])
def test_a_bad_variable_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve(environ=environ)
    assert str(raised.value) == message


def test_other_voice_skill_variables_are_not_settings() -> None:
    assert resolve(environ={"VOICE_SKILL_PROFILE": "x"}).settings == Settings()


def test_a_broken_relation_names_a_source_that_broke_it(isolated: Path) -> None:
    config = isolated / "cfg.toml"
    config.write_text("[audio]\nmin_speech = 1.0\n")
    with pytest.raises(ConfigError, match=r"^\$VOICE_SKILL_AUDIO_MAX_UTTERANCE: \[audio\] "
                                          r"max_utterance: expected more seconds than min_speech"):
        resolve(config, {"VOICE_SKILL_AUDIO_MAX_UTTERANCE": "1"})
    # answer_threshold kept its default; the file's fallback_threshold broke the order.
    config.write_text("[match]\nfallback_threshold = 70\n")
    with pytest.raises(ConfigError, match=rf"^{config}: \[match\] answer_threshold: expected "
                                          r"fallback_threshold <= answer_threshold"):
        resolve(config, {})


# --- the unanswered-questions log ------------------------------------------------------------

def _reply(skill: Skill, text: str):  # type: ignore[no-untyped-def]
    return skill.respond(Conversation(), text, 0.0)


def test_the_unanswered_log_is_off_by_default(isolated: Path) -> None:
    assert UnansweredLog.open(PrivacySettings()) is None
    assert not any((isolated / "home").rglob("*.jsonl"))


def test_only_unanswered_questions_are_logged_as_text(isolated: Path, skill: Skill) -> None:
    log = UnansweredLog.open(PrivacySettings(log_unanswered=True), NOW)
    assert log is not None
    assert log.path == isolated / "home" / "state" / "voice-skill" / "unanswered.jsonl"
    assert log.record(_reply(skill, "what is the capital of france"), NOW)
    assert not log.record(_reply(skill, "what is sciatica"), NOW)  # answered
    assert not log.record(_reply(skill, "I can't control my bladder"), NOW)  # escalated
    (entry,) = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert log.path.stat().st_mode & 0o777 == 0o600  # health questions are personal
    assert set(entry) == {"time", "text", "outcome", "intent", "score"}
    assert (entry["time"], entry["text"], entry["outcome"]) == (
        "2026-03-01T12:00:00+00:00", "what is the capital of france", "fallback")
    assert isinstance(entry["intent"], str) and 0 <= entry["score"] < 48


def test_old_entries_are_pruned_on_open_and_on_write(tmp_path: Path, skill: Skill) -> None:
    path = tmp_path / "logs" / "unanswered.jsonl"
    settings = PrivacySettings(log_unanswered=True, unanswered_log=path, retention_days=7)
    path.parent.mkdir()
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=6)
    path.write_text("".join(json.dumps({"time": t.isoformat(), "text": n}) + "\n"
                            for t, n in ((old, "old"), (recent, "recent"))) + "not json\n")
    log = UnansweredLog.open(settings, NOW)
    assert log is not None
    assert [json.loads(line)["text"] for line in path.read_text().splitlines()] == ["recent"]
    log.record(_reply(skill, "tell me a joke"), NOW + timedelta(days=2))
    assert [json.loads(line)["text"] for line in path.read_text().splitlines()] == [
        "tell me a joke"]


# --- chat history and logging -----------------------------------------------------------------

def test_chat_history_moves_into_the_state_folder(isolated: Path) -> None:
    old = isolated / "home" / ".voice_skill_history"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("what is sciatica\n")
    path = textmode.history_file(old)
    assert path == isolated / "home" / "state" / "voice-skill" / "history"
    assert path.read_text() == "what is sciatica\n" and not old.exists()
    old.write_text("older\n")  # a new history is never overwritten by an old one
    assert textmode.history_file(old).read_text() == "what is sciatica\n" and old.exists()


@pytest.mark.parametrize(("environ", "line"), [
    ({"JOURNAL_STREAM": "8:1234"}, "<4>voice_skill.test: careful\n"),
    ({}, " WARNING voice_skill.test: careful\n"),
])
def test_log_lines_suit_journald_or_a_terminal(environ: dict[str, str], line: str) -> None:
    import io

    stream = io.StringIO()
    setup_logging("info", stream, environ)
    logging.getLogger("voice_skill.test").debug("hidden")
    logging.getLogger("voice_skill.test").warning("careful")
    written = stream.getvalue()
    assert written.endswith(line) and written.count("\n") == 1
    if not environ:  # a terminal gets a short time first: HH:MM:SS
        assert written[2] == ":" and written[5] == ":" and written[:2].isdigit()
