"""The hands-free loop: speak the opening, then answer each utterance until 'stop'."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import IO

from ..asr.base import Recognizer
from ..cli.textmode import format_reply
from ..nlu.dialog import Conversation, Skill
from ..settings import AudioSettings
from ..tts.speaker import Speaker
from .listener import ECHO_GUARD_SECONDS, StreamingListener, confident_question, respond_to_speech


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



