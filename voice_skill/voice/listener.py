"""listen -> recognise -> respond -> speak, and nothing more.

The recogniser is fed while the person is still speaking, so when the endpointer fires only
the last fraction of a second is left to decode. When the words so far already make a
confident, complete question and have stopped changing, the endpointer is told, and waits a
shorter silence.
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
    Event,
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
    heard_at: float = 0.0
    """Stream position when the endpoint fired: end of the chunk that ended it (seconds)."""
    duration: float = 0.0
    """How long the utterance's audio is, pre-roll and trailing silence included (seconds)."""


STABLE_SECONDS = 0.2
"""A confident partial ends speech early only once it has stayed unchanged this long (stream
seconds): a partial still changing is a hypothesis still growing, and "why is my calf" is a
confident question on its way to "why is my calf twitching" (bench/eval_early_end.py)."""

SAMPLES_PER_SECOND = BYTES_PER_SECOND // 2


def _samples(seconds: float) -> int:
    """A stream time (seconds) as a sample count; the endpointer's times are whole frames."""
    return round(seconds * SAMPLES_PER_SECOND)


class StreamingListener:
    """Endpointer and recogniser run together over one audio stream.

    The recogniser gets exactly each utterance's audio (pre-roll to end), however the chunks
    fall: a chunk may end one utterance and start the next. Time is the stream's own (samples
    fed), never the clock, so a stream fed faster or slower than real time is cut the same.
    """

    def __init__(self, recognizer: Recognizer, settings: AudioSettings,
                 is_complete: Callable[[str], bool] = lambda partial: False,
                 stable_seconds: float = STABLE_SECONDS) -> None:
        self.recognizer = recognizer
        self.endpointer = Endpointer(settings)
        self.is_complete = is_complete
        self.stable_seconds = stable_seconds
        self._recent: deque[tuple[int, int, bytes]] = deque()  # (first sample, samples, chunk)
        # Enough to replay the longest utterance from its pre-roll, when hear() comes late.
        self._keep = _samples(settings.max_utterance + settings.pre_roll + 1.0)
        self._position = 0  # samples fed
        self._fed = 0  # the recogniser has had the stream up to this sample
        self._in_speech = False
        self._speech_start = 0  # sample where the open utterance's audio begins
        self._complete = False  # the latest judgement, handed to the endpointer
        self._stable_partial = ""  # the partial being timed for stability
        self._partial_since = 0  # sample where it last changed
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
        self._restart_recognizer(self._speech_start)
        if self._in_speech:
            self.partial = self._catch_up(self._position)

    def abandon(self) -> None:
        """Forget the utterance under way (the skill's own voice, heard back): the endpointer
        looks for a new start, and nothing of it is replayed by hear()."""
        self.endpointer.abandon()
        self._in_speech, self._complete = False, False
        self._restart_recognizer(self._position)

    def stop_hearing(self) -> None:
        """Stop recognising; the utterance under way, if any, will not be answered."""
        self.hearing = False
        self.partial = ""

    def feed(self, chunk: bytes) -> list[Heard]:
        """Process one chunk; returns every utterance it ended, in order (usually none)."""
        # Older audio is behind both the recogniser and any utterance still to be replayed.
        oldest = self._position - self._keep
        while self._recent and self._recent[0][0] + self._recent[0][1] < oldest:
            self._recent.popleft()
        self._recent.append((self._position, len(chunk) // 2, chunk))
        self._position += len(chunk) // 2
        heard = self._handle(self.endpointer.feed(chunk, phrase_complete=self._complete))
        self._complete = False
        if self._in_speech and self.hearing:
            self.partial = self._catch_up(self._position)
            self._complete = self._stable_and_complete(self.partial)
            heard += self._handle(self.endpointer.judge_complete(self._complete))
        return heard

    def finish(self) -> list[Heard]:
        """End of stream: speech still open is recognised as it is."""
        return self._handle(self.endpointer.finish())

    def _handle(self, events: list[Event]) -> list[Heard]:
        return [heard for event in events if (heard := self._on_event(event)) is not None]

    def _catch_up(self, until: int) -> str:
        """Feed the recogniser the stream from where it stopped up to sample until; returns
        its partial text."""
        pieces = []
        for first, count, chunk in reversed(self._recent):  # newest first: usually one chunk
            if first + count <= self._fed:
                break
            begin, end = max(first, self._fed), min(first + count, until)
            if begin < end:
                pieces.append(chunk[2 * (begin - first) : 2 * (end - first)])
        self._fed = max(self._fed, until)
        pcm = b"".join(reversed(pieces))
        # A chunk of silence can leave pocketsphinx with no best path: keep the words so far.
        return (self.recognizer.accept(pcm) if pcm else "") or self.partial

    def _stable_and_complete(self, partial: str) -> bool:
        """The partial is a complete question and has not changed for stable_seconds."""
        if partial != self._stable_partial:
            self._stable_partial, self._partial_since = partial, self._position
        stable = self._position - self._partial_since >= _samples(self.stable_seconds)
        return stable and self.is_complete(partial)

    def _restart_recognizer(self, start: int) -> None:
        """A fresh utterance for the recogniser, to be fed from sample start on."""
        self.recognizer.reset()
        self._fed, self.partial = start, ""
        self._stable_partial, self._partial_since = "", self._position

    def _on_event(self, event: Event) -> Heard | None:
        if isinstance(event, SpeechStarted):
            self._in_speech, self._speech_start = True, _samples(event.start)
            self._restart_recognizer(self._speech_start)  # the pre-roll, from the chunks kept
        elif isinstance(event, Discarded):
            self._in_speech = False
            self._restart_recognizer(self._position)
        elif isinstance(event, Utterance):
            endpoint_at = time.perf_counter()  # before the last of the decoding
            heard = None
            if self.hearing:
                self._catch_up(_samples(event.end))
                heard = Heard(self._final(event), endpoint_at, event.early,
                              self._position / SAMPLES_PER_SECOND, event.duration)
                self._utterances += 1
            self._in_speech = event.truncated  # a cut utterance goes straight on
            self._speech_start = _samples(event.end)
            self._restart_recognizer(self._speech_start)
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
        yield from listener.feed(chunk)
    yield from listener.finish()


def respond_to_speech(skill: Skill, state: Conversation, transcript: Transcript) -> Reply:
    """The reply to a recogniser's transcript: its best reading answered, every reading (the
    alternatives and other models' second opinions) checked for red flags, the ones it was
    unsure of asked back."""
    return skill.respond(state, transcript.text, time.monotonic(), transcript.alternatives,
                         spoken=True, second_opinions=transcript.second_opinions,
                         words=transcript.words)
