"""listen -> recognise -> respond -> speak, and nothing more.

The recogniser is fed while the person is still speaking, so when the endpointer fires only
the last fraction of a second is left to decode. When the words so far already make a
confident, complete question, the endpointer is told, and waits a shorter silence.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .asr import Recognizer, Transcript
from .audio import iter_wav
from .dialog import Conversation, Reply, Skill
from .endpoint import (
    FILE_RETRY_THRESHOLDS,
    Discarded,
    Endpointer,
    SpeechStarted,
    Thresholds,
    Utterance,
)
from .errors import VoiceSkillError
from .settings import AudioSettings
from .textmode import format_one_shot, format_reply, reply_record
from .tts import Speaker

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
        self._complete = False
        self._utterances = 0

    def feed(self, chunk: bytes) -> Heard | None:
        """Process one chunk; returns a Heard when an utterance has just ended."""
        start, self._position = self._position, self._position + len(chunk) / BYTES_PER_SECOND
        self._recent.append((start, chunk))
        if self._in_speech:
            self._complete = self._complete or self.is_complete(_feed(self.recognizer, chunk))
        for event in self.endpointer.feed(chunk, phrase_complete=self._complete):
            heard = self._on_event(event)
            if heard is not None:
                return heard
        return None

    def _on_event(self, event: object) -> Heard | None:
        if isinstance(event, SpeechStarted):
            self.recognizer.reset()
            self._in_speech, self._complete = True, False
            # Replay the pre-roll the endpointer kept before it was sure this is speech.
            for at, chunk in self._recent:
                if at + len(chunk) / BYTES_PER_SECOND > event.start:
                    _feed(self.recognizer, chunk)
        elif isinstance(event, Discarded):
            self.recognizer.reset()
            self._in_speech = False
        elif isinstance(event, Utterance):
            early, endpoint_at = self._complete, time.perf_counter()
            heard = Heard(self._final(event), endpoint_at, early)
            self._in_speech, self._complete = event.truncated, False
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


def run_listen(skill: Skill, recognizer: Recognizer, chunks: Iterable[bytes], speaker: Speaker,
               settings: AudioSettings, out: IO[str], status: IO[str]) -> int:
    """The hands-free loop: speak the opening, then answer each utterance until 'stop'."""
    opening = skill.opening()
    print(f"skill> {opening}", file=out, flush=True)
    speaker.say(opening)
    print("voice-skill: listening", file=status, flush=True)
    listener = StreamingListener(recognizer, settings, confident_question(skill))
    state = Conversation()
    mute_until = time.perf_counter() + ECHO_GUARD_SECONDS
    for chunk in chunks:
        if time.perf_counter() < mute_until:
            continue
        heard = listener.feed(chunk)
        if heard is None or not heard.transcript.text.strip():
            continue
        reply = respond_to_speech(skill, state, heard.transcript)
        state = reply.state
        print(f"you> {heard.transcript.text}", file=out, flush=True)
        print(f"skill> {format_reply(reply)}", file=out, flush=True)
        speaker.say(reply.text)
        mute_until = time.perf_counter() + ECHO_GUARD_SECONDS
        if reply.ends:
            break
        print("voice-skill: listening", file=status, flush=True)
    return 0


def respond_to_speech(skill: Skill, state: Conversation, transcript: Transcript) -> Reply:
    """The reply to a recogniser's transcript: its best reading answered, every reading (the
    alternatives and other models' second opinions) checked for red flags."""
    return skill.respond(state, transcript.text, time.monotonic(), transcript.alternatives,
                         spoken=True, second_opinions=transcript.second_opinions)


# --- files -------------------------------------------------------------------------------


def question_audio(path: Path, settings: AudioSettings, warn: IO[str]) -> bytes:
    """The speech in a WAV file (silence and noise bursts dropped), at most max_utterance long.
    A file is known to hold a question, so when the live thresholds find no speech at all the
    quieter FILE_RETRY_THRESHOLDS look again."""
    return (_speech_in(path, settings, warn, Thresholds()) or
            _speech_in(path, settings, warn, FILE_RETRY_THRESHOLDS))


def _speech_in(path: Path, settings: AudioSettings, warn: IO[str],
               thresholds: Thresholds) -> bytes:
    endpointer = Endpointer(settings, thresholds)
    limit = int(settings.max_utterance * BYTES_PER_SECOND)
    speech: list[bytes] = []
    size = 0

    def keep(events: list) -> bool:
        nonlocal size
        for event in events:
            if isinstance(event, Utterance):
                speech.append(event.pcm)
                size += len(event.pcm)
        return size >= limit

    for chunk in iter_wav(path):
        if keep(endpointer.feed(chunk)):
            print(f"{path}: only the first {settings.max_utterance:g} s of speech are used",
                  file=warn)
            break
    else:
        keep(endpointer.finish())
    return b"".join(speech)[:limit]


def transcribe_file(recognizer: Recognizer, path: Path, settings: AudioSettings,
                    warn: IO[str]) -> Transcript:
    """The transcript of the question in a WAV file ('' when it holds no speech)."""
    from .asr import transcribe

    pcm = question_audio(path, settings, warn)
    if not pcm:
        print(f"{path}: no speech found", file=warn)
    return transcribe(recognizer, pcm) if pcm else Transcript("", (), 0.0, "none")


def _error_record(path: Path, error: VoiceSkillError) -> dict[str, object]:
    return {"input": str(path), "intent": None, "score": 0.0, "escalation": "none",
            "answer": "", "transcript": "", "error": str(error)}


def answer_files(skill: Skill, recognizer: Recognizer, paths: list[Path],
                 settings: AudioSettings, as_json: bool, out: IO[str], warn: IO[str]) -> int:
    """ask --wav: one answer (or JSON line) per file, in order; a bad file does not stop the batch."""
    failed = False
    for path in paths:
        try:
            transcript = transcribe_file(recognizer, path, settings, warn)
        except VoiceSkillError as error:
            failed = True
            print(f"voice-skill: {error}", file=warn)
            if as_json:
                print(json.dumps(_error_record(path, error)), file=out, flush=True)
            continue
        reply = respond_to_speech(skill, Conversation(), transcript)
        if as_json:
            record = {**reply_record(str(path), reply), "transcript": transcript.text,
                      "alternatives": list(transcript.alternatives),
                      "second_opinions": list(transcript.second_opinions)}
            print(json.dumps(record, ensure_ascii=False), file=out, flush=True)
        else:
            print(f"{path}: [{transcript.text}] {format_one_shot(reply)}", file=out, flush=True)
    return 2 if failed else 0


def transcribe_files(recognizer: Recognizer, paths: list[Path], settings: AudioSettings,
                     out: IO[str], warn: IO[str]) -> int:
    """transcribe: one line per file, 'path: text'."""
    failed = False
    for path in paths:
        try:
            text = transcribe_file(recognizer, path, settings, warn).text
        except VoiceSkillError as error:
            failed = True
            print(f"voice-skill: {error}", file=warn)
            continue
        print(f"{path}: {text}", file=out, flush=True)
    return 2 if failed else 0


def reply_to_file(skill: Skill, recognizer: Recognizer, path: Path, speaker: Speaker,
                  settings: AudioSettings, out: IO[str], warn: IO[str]) -> Reply:
    """reply: a spoken question in, the spoken answer written by speaker (a WavFileSpeaker)."""
    transcript = transcribe_file(recognizer, path, settings, warn)
    reply = respond_to_speech(skill, Conversation(), transcript)
    print(f"you> {transcript.text}", file=out)
    print(f"skill> {format_one_shot(reply)}", file=out, flush=True)
    # One question, one answer: nobody is there to answer the safety check, so the answer it
    # held back is spoken (the printed line shows the check).
    speaker.say(reply.answered.text)
    return reply
