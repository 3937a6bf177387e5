"""voice-skill: an offline voice FAQ about calf-muscle twitching, with red-flag escalation."""

__version__ = "0.1.0"
