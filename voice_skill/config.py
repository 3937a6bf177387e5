"""Where the settings come from: built-in defaults < a settings file < environment variables <
command-line flags. Every value goes through the one check in `voice_skill.settings`; an error
names its source: the file and [section] key, the variable, or the flag.

The file is `--config FILE`, else $VOICE_SKILL_CONFIG, else the first that exists of
./voice-skill.toml, the user's config folder's config.toml and /etc/voice-skill/config.toml.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import ConfigError
from .settings import SettingError, Settings, Stage, describe, field_specs, stages

ENV_PREFIX = "VOICE_SKILL_"
CONFIG_VARIABLE = "VOICE_SKILL_CONFIG"

Key = tuple[str, str]
"""A setting's ([section], key)."""


def config_candidates() -> tuple[Path, ...]:
    """The settings files looked for when none is named, first found wins."""
    return (Path("voice-skill.toml"), paths.config_dir() / "config.toml", paths.SYSTEM_CONFIG)


def find_config(named: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The settings file to read: the one named, $VOICE_SKILL_CONFIG, or the first that exists."""
    if named is not None:
        return named
    if environ.get(CONFIG_VARIABLE):
        return Path(environ[CONFIG_VARIABLE])
    return next((path for path in config_candidates() if path.is_file()), None)


@dataclass(frozen=True)
class Resolved:
    """The effective settings, and where each value came from."""

    settings: Settings
    file: Path | None
    """The settings file read, or None for none."""
    sources: Mapping[Key, str]
    """Each key given anywhere: "file PATH", "environment $NAME" or "flag --name"."""

    def source(self, section: str, key: str) -> str:
        """Where one setting came from; "default" when nobody set it."""
        return self.sources.get((section, key), "default")


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read settings ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None


def toml_values(data: Mapping[str, object], origin: str) -> dict[Key, object]:
    """A parsed settings file's values by key; unknown sections and keys are errors, never
    silently ignored (a typo would otherwise leave the default in force)."""
    known = stages()
    values: dict[Key, object] = {}
    for section, table in data.items():
        if section not in known:
            raise ConfigError(f"{origin}: unknown section [{section}] "
                              f"(known: {', '.join(known)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: [{section}] must be a table, got {describe(table)}")
        keys = [spec.name for spec in field_specs(known[section])]
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{origin}: unknown key {key!r} in [{section}] "
                                  f"(known: {', '.join(keys)})")
            values[(section, key)] = value
    return values


def _wants_text(stage: type[Stage], key: str) -> bool:
    kind = {spec.name: spec.type for spec in field_specs(stage)}[key]
    return str(kind).split(" | ")[0] in ("str", "Path")


def parse_text(stage: type[Stage], key: str, text: str) -> object:
    """A value written as text (a variable or a flag): a TOML value (0.6, true, ["en-gb"]),
    except that a text or path setting takes the words as written (a device named 1)."""
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
    if _wants_text(stage, key) and not isinstance(value, str):
        return text
    return value


def environment_values(environ: Mapping[str, str]) -> dict[Key, tuple[object, str]]:
    """VOICE_SKILL_<SECTION>_<KEY> variables: (value, variable) by key. A variable naming a
    section and a key it lacks is an error; other VOICE_SKILL_ names are not settings."""
    known = stages()
    found: dict[Key, tuple[object, str]] = {}
    for name, text in environ.items():
        section, _, key = name.removeprefix(ENV_PREFIX).lower().partition("_")
        if not name.startswith(ENV_PREFIX) or section not in known:
            continue
        stage = known[section]
        if key not in {spec.name for spec in field_specs(stage)}:
            raise ConfigError(f"${name}: [{section}] has no key {key!r}")
        found[(section, key)] = (parse_text(stage, key, text), f"${name}")
    return found


def resolve(config: Path | None = None, environ: Mapping[str, str] | None = None,
            flags: Iterable[tuple[Key, object, str]] = ()) -> Resolved:
    """The effective settings: defaults, then the settings file, the environment and flags
    (each flag as (key, value, "--flag-name"))."""
    environ = os.environ if environ is None else environ
    file = find_config(config, environ)
    given: dict[Key, tuple[object, str]] = {}
    if file is not None:
        values = toml_values(_read_toml(file), str(file))
        given.update({key: (value, str(file)) for key, value in values.items()})
    given.update(environment_values(environ))
    given.update({key: (value, flag) for key, value, flag in flags})
    sources = {key: _source_label(where) for key, (_, where) in given.items()}
    return Resolved(build_settings(given), file, sources)


def _source_label(where: str) -> str:
    if where.startswith("--"):
        return f"flag {where}"
    return f"environment {where}" if where.startswith("$") else f"file {where}"


def _build(stage: type[Stage], section: str, given: Mapping[Key, tuple[object, str]]) -> Stage:
    """One stage from the values given for it; an error names the source of the bad key."""
    values = {key: value for (sec, key), (value, _) in given.items() if sec == section}
    try:
        return stage(**values)
    except SettingError as error:
        where = given.get((section, error.key), (None, ""))[1]
        if not where:  # a relation broken by another key, e.g. max_utterance < min_speech
            where = next((w for (sec, _), (_, w) in given.items() if sec == section), "")
        raise error.located(where or "built-in defaults") from None


def load_settings(path: Path | None = None) -> Settings:
    """The effective settings without flags: the file given or found, then the environment."""
    return resolve(path).settings


def settings_from_toml(text: str, origin: str = "<settings>") -> Settings:
    """Settings from TOML text alone (tests, tools): no search, no environment."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: {error}") from None
    return build_settings({key: (value, origin)
                           for key, value in toml_values(data, origin).items()})


def build_settings(given: Mapping[Key, tuple[object, str]]) -> Settings:
    """Settings from (value, source) by key; the rest keep their defaults."""
    built = {section: _build(stage, section, given) for section, stage in stages().items()}
    return Settings(**built)  # type: ignore[arg-type]


def _toml(value: object) -> str:
    """A setting's value as it would be written in the settings file."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def show_lines(resolved: Resolved) -> list[str]:
    """`config show`: one line per setting, `[section] key = value  # source`."""
    lines = []
    for section in stages():
        stage = getattr(resolved.settings, section)
        for spec in field_specs(stage):
            value = _toml(getattr(stage, spec.name))
            lines.append(f"[{section}] {spec.name} = {value}  # "
                         f"{resolved.source(section, spec.name)}")
    return lines
