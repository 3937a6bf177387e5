"""The wake phrase, spotted by the speech engines themselves: `WakeSpotter` (base), pocketsphinx's
keyphrase search (sphinx), a Vosk grammar (vosk); `asr.registry.open_wake_spotter` picks one."""

from .base import (
    KWS_THRESHOLD_RANGE,
    VOSK_CONFIDENCE_RANGE,
    Refractory,
    WakeHeard,
    WakeSpotter,
    kws_threshold,
    phrase_words,
    vosk_min_confidence,
)
from .sphinx import END_SEARCH, SphinxWakeSpotter, quietest_point
from .vosk import FILLER_WORDS, VOSK_SETTLE, VoskWakeSpotter, filler_words

__all__ = [
    "END_SEARCH", "FILLER_WORDS", "KWS_THRESHOLD_RANGE", "VOSK_CONFIDENCE_RANGE", "VOSK_SETTLE",
    "Refractory", "SphinxWakeSpotter", "VoskWakeSpotter", "WakeHeard", "WakeSpotter",
    "filler_words", "kws_threshold", "phrase_words", "quietest_point", "vosk_min_confidence",
]
