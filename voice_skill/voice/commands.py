"""Short things said to the device rather than questions: interrupt, slower, louder; and
telling the skill's own voice, heard back through the room, from a person's.

"repeat" and "tell me more" are conversation dialogs in the content (dialogs/conversation.yaml);
these change how the device speaks, so they live with the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..nlu.normalize import normalize
from ..tts.playback import Delivery

INTERRUPTIONS = frozenset({"stop", "wait", "quiet", "cancel", "enough", "pause", "hush", "shush",
                           "silence"})
"""One of these, alone or nearly so, stops a spoken answer."""
MAX_COMMAND_WORDS = 4
"""A command is short: "okay stop please" is one, a sentence with "stop" in it is not."""
_POLITE = frozenset({"please", "okay", "ok", "now", "thanks", "thank", "you", "a", "bit", "little",
                     "just", "can", "could", "speak", "talk", "be", "more", "hey", "helper",
                     "down", "up", "it"})


@dataclass(frozen=True)
class Manner:
    """A change to how the rest is spoken."""

    change: Callable[[Delivery], Delivery]
    """One step of tts.playback.Delivery: slower, faster, louder or softer."""
    acknowledgement: str
    """Said the new way, before the last answer is repeated."""

    def apply(self, delivery: Delivery) -> Delivery:
        """The delivery from now on."""
        return self.change(delivery)


_SLOWER = Manner(Delivery.slower, "Okay, more slowly.")
_FASTER = Manner(Delivery.faster, "Okay, a bit faster.")
_LOUDER = Manner(Delivery.louder, "Okay, louder.")
_SOFTER = Manner(Delivery.softer, "Okay, more quietly.")
_MANNERS = {
    ("slower",): _SLOWER, ("slow", "down"): _SLOWER, ("faster",): _FASTER, ("speed", "up"): _FASTER,
    ("louder",): _LOUDER, ("speak", "up"): _LOUDER, ("softer",): _SOFTER, ("quieter",): _SOFTER,
}

OWN_VOICE_SIMILARITY = 80.0
"""A transcript this close (rapidfuzz partial ratio, 0-100) to what is being spoken is the
skill's own voice coming back through the room. Recognised echo is garbled, so not 100."""
OWN_VOICE_LOOSE_SIMILARITY = 60.0
OWN_VOICE_IN_ORDER = 0.45
OWN_VOICE_LOOSE_WORDS = 12
"""Or, for a long transcript (at least OWN_VOICE_LOOSE_WORDS words), this close with at least
OWN_VOICE_IN_ORDER of the heard words found, in order, in what is being spoken. The skill's
voice is espeak-ng, which the plain pocketsphinx model garbles (its espeak-ng adaptation is off
by default). Measured on 20 answers spoken by espeak-ng en-us and recognised back (19 to 34
words heard): the partial ratio alone at 80 caught 12 echoes, with this rule 17. Of 1,240 other
dialogs' phrasings taken as a person's question over an answer, 1.6% pass the partial ratio
alone and none this rule: questions are shorter (without the length, 5.1% passed). A room's
echo through the real audio server was heard at 63 and 0.55, 36 words (test_session_e2e), and
on a loaded machine at 61 and about 0.45, 41 words. bench/bench_own_voice.py, 26 answers: at 0.5
echo caught 23, 18, 13 (direct, reverb, far with a fan), two phrasings joined into one long
question taken for echo 11 of 1,987; at 0.45: 23, 21, 19 and 15 of 1,987."""


def _words(text: str) -> list[str]:
    return normalize(text).split()


def interruption(text: str) -> str | None:
    """The interrupting word when text is a short "stop" / "wait" command, else None."""
    words = _words(text)
    if not words or len(words) > MAX_COMMAND_WORDS:
        return None
    found = [w for w in words if w in INTERRUPTIONS]
    rest = [w for w in words if w not in INTERRUPTIONS and w not in _POLITE]
    return found[0] if found and not rest else None


def manner(text: str) -> Manner | None:
    """The change asked for when text is a short "slower" / "louder" command, else None."""
    words = _words(text)
    if not words or len(words) > MAX_COMMAND_WORDS:
        return None
    for key, change in _MANNERS.items():
        at = next((i for i in range(len(words) - len(key) + 1)
                   if tuple(words[i:i + len(key)]) == key), None)
        if at is not None:
            rest = words[:at] + words[at + len(key):]
            if all(w in _POLITE for w in rest):
                return change
    return None


def is_own_voice(heard: str, speaking: str) -> bool:
    """True when what was heard is most likely the skill's own answer, played back into the
    microphone, rather than a person talking over it."""
    heard_text, spoken_text = normalize(heard), normalize(speaking)
    if not heard_text or not spoken_text:
        return False
    if interruption(heard) is not None and not set(_words(heard)) & set(spoken_text.split()):
        return False
    similarity = fuzz.partial_ratio(heard_text, spoken_text)
    heard_words = heard_text.split()
    return similarity >= OWN_VOICE_SIMILARITY or (
        len(heard_words) >= OWN_VOICE_LOOSE_WORDS
        and similarity >= OWN_VOICE_LOOSE_SIMILARITY
        and in_order_share(heard_words, spoken_text.split()) >= OWN_VOICE_IN_ORDER)


def in_order_share(heard: list[str], spoken: list[str]) -> float:
    """The share of the heard words that are found in the spoken ones in the same order (the
    longest common subsequence of words, over the heard words)."""
    previous = [0] * (len(spoken) + 1)
    for word in heard:
        current = [0]
        for index, said in enumerate(spoken):
            current.append(previous[index] + 1 if word == said
                           else max(previous[index + 1], current[index]))
        previous = current
    return previous[-1] / len(heard) if heard else 0.0


WAKE_SIMILARITY = 70.0
"""How close (rapidfuzz ratio, 0-100) the first words must be to the wake phrase to be it:
the recogniser often hears "hey helper" as "a helper" or "hey help her"."""


def strip_wake_phrase(text: str, phrase: str) -> str:
    """text without a leading wake phrase (the session recognises a woken utterance whole,
    from its start, so the first word of the question is never lost)."""
    words, wake = text.split(), normalize(phrase)
    if not wake:
        return text
    size = len(wake.split())
    best, cut = 0.0, 0
    for count in range(max(size - 1, 1), min(size + 1, len(words)) + 1):
        score = fuzz.ratio(normalize(" ".join(words[:count])), wake)
        if score > best:
            best, cut = score, count
    return " ".join(words[cut:]) if best >= WAKE_SIMILARITY else text
