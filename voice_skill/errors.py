"""One error hierarchy: the CLI turns any of these into one line on stderr and exit status 2."""


class VoiceSkillError(Exception):
    """Base of every error the skill reports to a person instead of a traceback."""


class ContentError(VoiceSkillError):
    """Dialog or red-flag content is malformed; the message names file:line."""


class AudioError(VoiceSkillError):
    """Audio input cannot be read or converted (bad WAV, missing device)."""


class EngineError(VoiceSkillError):
    """A speech engine or its model cannot be loaded or used."""


class ModelStoreError(VoiceSkillError):
    """A speech model cannot be listed, downloaded, verified or installed."""


class ModelUnreachableError(ModelStoreError):
    """The model's server could not be reached at all (offline, no DNS, refused, timed out)."""


class ConfigError(VoiceSkillError):
    """A settings file or command-line value is invalid."""
