"""listen -> recognise -> respond -> speak, and nothing more.

The recogniser is fed while the person is still speaking, so when the endpointer fires only
the last fraction of a second is left to decode. When the words so far already make a
confident, complete question, the endpointer is told, and waits a shorter silence.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..asr.base import Recognizer, Transcript
from ..audio.endpoint import (
    Discarded,
    Endpointer,
    SpeechStarted,
    Utterance,
)
from ..nlu.dialog import Conversation, Reply, Skill
from ..settings import AudioSettings

BYTES_PER_SECOND = 16000 * 2
"""16 kHz mono s16le."""
ECHO_GUARD_SECONDS = 0.3
"""Audio right after the skill spoke is dropped: it is the tail of its own voice."""


@dataclass(frozen=True)
class Heard:
    """One spoken turn: what was recognised and when the endpoint fired."""

    transcript: Transcript
    endpoint_at: float
    """time.perf_counter() when the utterance ended (seconds)."""
    early: bool
    """The endpoint came early because the words made a complete question."""


def _feed(recognizer: Recognizer, pcm: bytes) -> str:
    return recognizer.accept(pcm) if pcm else ""


class StreamingListener:
    """Endpointer and recogniser run together over one audio stream."""

    def __init__(self, recognizer: Recognizer, settings: AudioSettings,
                 is_complete: Callable[[str], bool] = lambda partial: False) -> None:
        self.recognizer = recognizer
        self.endpointer = Endpointer(settings)
        self.is_complete = is_complete
        self._recent: deque[tuple[float, bytes]] = deque(maxlen=64)
        self._position = 0.0
        self._in_speech = False
        self._speech_start: float | None = None
        self._complete = False
        self._utterances = 0
        self.hearing = True
        """False: the endpointer still follows the room (noise floor, where speech is), but
        the recogniser is not fed and utterances are dropped: waiting for a wake phrase, or
        the skill's own voice."""
        self.partial = ""
        """The recogniser's words so far in the utterance being spoken."""

    @property
    def in_speech(self) -> bool:
        """An utterance is open (the endpointer has heard speech and not yet its end)."""
        return self._in_speech

    def hear(self) -> None:
        """Start recognising; speech already under way is recognised from its start (kept in
        the recent-audio buffer), so nothing said before this call is lost."""
        if self.hearing:
            return
        self.hearing = True
        self.recognizer.reset()
        self.partial = ""
        if self._in_speech and self._speech_start is not None:
            for at, chunk in self._recent:
                if at + len(chunk) / BYTES_PER_SECOND > self._speech_start:
                    self.partial = _feed(self.recognizer, chunk) or self.partial

    def abandon(self) -> None:
        """Forget the utterance under way (the skill's own voice, heard back): the endpointer
        looks for a new start, and nothing of it is replayed by hear()."""
        self.endpointer.abandon()
        self.recognizer.reset()
        self._in_speech, self._complete, self._speech_start, self.partial = False, False, None, ""

    def stop_hearing(self) -> None:
        """Stop recognising; the utterance under way, if any, will not be answered."""
        self.hearing = False
        self.partial = ""

    def feed(self, chunk: bytes) -> Heard | None:
        """Process one chunk; returns a Heard when an utterance has just ended."""
        start, self._position = self._position, self._position + len(chunk) / BYTES_PER_SECOND
        self._recent.append((start, chunk))
        if self._in_speech and self.hearing:
            self.partial = _feed(self.recognizer, chunk) or self.partial
            self._complete = self._complete or self.is_complete(self.partial)
        for event in self.endpointer.feed(chunk, phrase_complete=self._complete):
            heard = self._on_event(event)
            if heard is not None:
                return heard
        return None

    def _on_event(self, event: object) -> Heard | None:
        if isinstance(event, SpeechStarted):
            self.recognizer.reset()
            self._in_speech, self._complete = True, False
            self._speech_start, self.partial = event.start, ""
            if not self.hearing:
                return None
            # Replay the pre-roll the endpointer kept before it was sure this is speech.
            for at, chunk in self._recent:
                if at + len(chunk) / BYTES_PER_SECOND > event.start:
                    self.partial = _feed(self.recognizer, chunk) or self.partial
        elif isinstance(event, Discarded):
            self.recognizer.reset()
            self._in_speech, self.partial = False, ""
        elif isinstance(event, Utterance) and not self.hearing:
            self._in_speech, self._complete, self.partial = event.truncated, False, ""
            self._speech_start = event.end if event.truncated else None
        elif isinstance(event, Utterance):
            self.partial = ""
            early, endpoint_at = self._complete, time.perf_counter()
            heard = Heard(self._final(event), endpoint_at, early)
            self._in_speech, self._complete = event.truncated, False
            self._speech_start = event.end if event.truncated else None
            self._utterances += 1
            return heard
        return None

    def _final(self, utterance: Utterance) -> Transcript:
        """The streamed result; the first utterance is decoded again as a whole, because a
        streaming pocketsphinx has not yet adapted to the voice and room then (bench_loop
        measures the cost: about 90 ms per second of speech, once per session)."""
        whole = getattr(self.recognizer, "recognize_whole", None)
        if self._utterances == 0 and whole is not None:
            return whole(utterance.pcm)  # type: ignore[no-any-return]
        return self.recognizer.finish()

    def finish(self) -> Heard | None:
        """End of stream: speech still open is recognised as it is."""
        for event in self.endpointer.finish():
            heard = self._on_event(event)
            if heard is not None:
                return heard
        return None


def confident_question(skill: Skill) -> Callable[[str], bool]:
    """A partial transcript that already is a confident answerable question ends speech early."""
    threshold = skill.settings.match.confident_threshold
    last: dict[str, bool] = {}  # partials repeat chunk after chunk: decide each text once

    def complete(partial: str) -> bool:
        if len(partial.split()) < 3:
            return False
        if partial not in last:
            decision = skill.decide(partial, spoken=True)
            last.clear()
            last[partial] = decision.outcome == "answer" and decision.score >= threshold
        return last[partial]

    return complete


def heard_turns(chunks: Iterable[bytes], listener: StreamingListener) -> Iterator[Heard]:
    """Every utterance in a stream, recognised."""
    for chunk in chunks:
        heard = listener.feed(chunk)
        if heard is not None:
            yield heard
    heard = listener.finish()
    if heard is not None:
        yield heard


def respond_to_speech(skill: Skill, state: Conversation, transcript: Transcript) -> Reply:
    """The reply to a recogniser's transcript: its best reading answered, every reading (the
    alternatives and other models' second opinions) checked for red flags."""
    return skill.respond(state, transcript.text, time.monotonic(), transcript.alternatives,
                         spoken=True, second_opinions=transcript.second_opinions)
