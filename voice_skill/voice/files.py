"""Spoken questions in WAV files: the speech found, recognised, answered (ask --wav, transcribe,
reply). A bad file is one line on stderr; the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from ..asr.base import Recognizer, Transcript
from ..audio.endpoint import (
    FILE_RETRY_THRESHOLDS,
    Endpointer,
    Thresholds,
    Utterance,
)
from ..audio.wav import iter_wav
from ..cli.textmode import format_one_shot, reply_record
from ..errors import VoiceSkillError
from ..nlu.dialog import Conversation, Reply, Skill
from ..settings import AudioSettings
from ..tts.speaker import Speaker
from .listener import BYTES_PER_SECOND, respond_to_speech

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
    from ..asr.base import transcribe

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
    # held back is spoken (the printed line shows the check); nor a red flag asked back, so
    # its escalation is.
    speaker.say(reply.answered.text)
    return reply
