"""Speaking: real pyttsx3/espeak-ng audio, checked by listening back with pocketsphinx."""

from __future__ import annotations

import array
import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest
from pocketsphinx import Decoder

from voice_skill.errors import AudioError, ConfigError, EngineError
from voice_skill.settings import TtsSettings
from voice_skill.tts.speaker import (
    TextSpeaker,
    WavFileSpeaker,
    open_speaker,
    resample,
    split_sentences,
    synthesize_wav,
    wav_bytes,
)
from voice_skill.tts.worker import Speech, SpeechWorker, choose_voice

US = TtsSettings(voice="en-us", timeout=10.0)

# Sentence -> words the recogniser must hear (at least two of them). Distinctive words were
# chosen from what pocketsphinx's en-us model reliably hears in espeak-ng's voice.
SENTENCES = {
    "Magnesium may help with muscle cramps.": {"magnesium", "help", "muscle", "cramps"},
    "Please see a doctor about the twitching.": {"please", "doctor", "twitching"},
    "This is an emergency, call for help now.": {"emergency", "call", "now"},
    "Stretch your calf muscles every evening.": {"stretch", "calf", "muscles", "evening"},
}
VOCABULARY = sorted({w.strip(".,").lower() for s in SENTENCES for w in s.split()})

# A worker that configures normally but never finishes synthesising anything after warm-up.
HANGING_WORKER = [sys.executable, "-c", """
import time
from voice_skill.tts import worker as tts_worker
real_render = tts_worker._Engine.render
def render(self, text):
    if text != "ready":
        time.sleep(3600)
    return real_render(self, text)
tts_worker._Engine.render = render
tts_worker.main()
"""]


# ---------------------------------------------------------------- listening back


@pytest.fixture(scope="module")
def listener() -> Decoder:
    """pocketsphinx's bundled en-us model, restricted to the test sentences' words."""
    decoder = Decoder(samprate=16000, logfn=os.devnull)
    words = " | ".join(VOCABULARY)
    decoder.add_jsgf_string("words", f"#JSGF V1.0;\ngrammar words;\npublic <s> = ( {words} )* ;\n")
    decoder.activate_search("words")
    return decoder


def hear(decoder: Decoder, wav: bytes) -> set[str]:
    """Words pocketsphinx recognises in a WAV (resampled by sox to its model's 16 kHz)."""
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", "16000", "-e", "signed",
                          "-b", "16", "-c", "1", "-"], input=wav, capture_output=True, check=True)
    decoder.start_utt()
    decoder.process_raw(raw.stdout, full_utt=True)
    decoder.end_utt()
    return set(decoder.hyp().hypstr.split()) if decoder.hyp() else set()


def read_wav(data: bytes) -> Speech:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return Speech(wav.readframes(wav.getnframes()), wav.getframerate())


def rms(speech: Speech) -> float:
    samples = array.array("h", speech.pcm)
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def assert_plausible(speech: Speech, text: str) -> None:
    """Non-silent, and 0.15 to 1.0 seconds per word."""
    words = len(text.split())
    assert rms(speech) > 500, "speech is (nearly) silent"
    assert 0.15 * words <= speech.duration <= 1.0 * words, (speech.duration, words)


def espeak_samples(text: str, voice: str, rate: int) -> int:
    """How many samples the espeak-ng command itself makes of text: the reference length."""
    run = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                         capture_output=True, check=True)
    return len(read_wav(run.stdout).pcm) // 2


# ---------------------------------------------------------------- pure parts


@pytest.mark.parametrize(("text", "sentences"), [
    ("One. Two!  Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ("Take 1.5 grams. Then rest.", ["Take 1.5 grams.", "Then rest."]),
    ("No punctuation at all", ["No punctuation at all"]),
    ("   ", []),
    ("", []),
])
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


VOICES = [("gmw/en", "English (Great Britain)"), ("gmw/en-us", "English (America)"),
          ("gmw/en-us-nyc", "English (America, New York City)"), ("roa/fr", "French")]


@pytest.mark.parametrize(("wanted", "voice_id"), [
    ("gmw/en-us", "gmw/en-us"),      # exact id
    ("EN-US", "gmw/en-us"),          # id without its family, any case
    ("english (america)", "gmw/en-us"),
    ("America", "gmw/en-us"),        # part of a name: the shortest id wins over en-us-nyc
    ("english", "gmw/en"),
    ("french", "roa/fr"),
])
def test_choose_voice(wanted: str, voice_id: str) -> None:
    assert choose_voice(wanted, VOICES) == voice_id


def test_unknown_voice_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"tts.voice 'no-such-voice'.*e\.g\. gmw/en"):
        choose_voice("no-such-voice", VOICES)


def test_resample_keeps_a_tone_and_scales_its_length() -> None:
    # 5 kHz: high enough that linear interpolation between samples is 25 % off.
    tone = array.array("h", (round(8000 * math.sin(2 * math.pi * 5000 * i / 22050))
                             for i in range(22050)))
    speech = Speech(tone.tobytes(), 22050)
    for rate in (44100, 48000):  # the engine's rate to the usual device rates
        out = resample(speech, rate)
        assert out.sample_rate == rate
        assert abs(out.duration - speech.duration) < 0.001
        samples = array.array("h", out.pcm)
        # The same sine at the new rate, away from the ends (the filter sees zeros there).
        errors = [abs(samples[i] - 8000 * math.sin(2 * math.pi * 5000 * i / rate))
                  for i in range(rate // 10, rate - rate // 10, 7)]
        assert max(errors) < 8000 * 0.01, rate
    assert resample(speech, 22050) is speech


def test_wav_bytes_round_trip() -> None:
    speech = Speech(array.array("h", [0, 1000, -1000, 32767]).tobytes(), 16000)
    assert read_wav(wav_bytes(speech)) == speech


# ---------------------------------------------------------------- real speech


@pytest.mark.parametrize("text", list(SENTENCES))
def test_synthesized_speech_is_heard_back(listener: Decoder, text: str) -> None:
    speech = read_wav(synthesize_wav(text, US))
    assert_plausible(speech, text)
    heard = hear(listener, wav_bytes(speech))
    assert len(heard & SENTENCES[text]) >= 2, heard


def test_the_default_voice_is_heard_back(listener: Decoder) -> None:
    text = "Please see a doctor about the twitching."
    data = synthesize_wav(text, TtsSettings())
    assert_plausible(read_wav(data), text)
    assert len(hear(listener, data) & SENTENCES[text]) >= 2


def test_silence_is_not_heard_as_words(listener: Decoder) -> None:
    # The control that shows the listening check can fail.
    silence = Speech(bytes(2 * 22050 * 2), 22050)
    assert not hear(listener, wav_bytes(silence)) & set(VOCABULARY) - {"a", "the"}


def test_every_sentence_of_a_long_answer_is_spoken() -> None:
    text = " ".join(SENTENCES)
    speech = read_wav(synthesize_wav(text, US))
    assert_plausible(speech, text)
    reference = sum(espeak_samples(s, "en-us", US.rate) for s in SENTENCES)
    assert abs(len(speech.pcm) // 2 - reference) < 0.03 * reference


def test_empty_text_gives_an_empty_wav() -> None:
    assert read_wav(synthesize_wav("  ", US)).pcm == b""


def test_a_faster_rate_gives_shorter_speech() -> None:
    text = "Stretch your calf muscles every evening."
    slow = read_wav(synthesize_wav(text, TtsSettings(voice="en-us", rate=120)))
    fast = read_wav(synthesize_wav(text, TtsSettings(voice="en-us", rate=300)))
    assert fast.duration < 0.6 * slow.duration


def test_lower_volume_gives_quieter_speech() -> None:
    text = "Magnesium may help with muscle cramps."
    loud = read_wav(synthesize_wav(text, TtsSettings(voice="en-us", volume=1.0)))
    quiet = read_wav(synthesize_wav(text, TtsSettings(voice="en-us", volume=0.3)))
    assert rms(quiet) < 0.5 * rms(loud)


def test_another_voice_sounds_different() -> None:
    text = "Please see a doctor about the twitching."
    with SpeechWorker(TtsSettings(voice="America")) as american, \
            SpeechWorker(TtsSettings(voice="gmw/en-gb-scotland")) as scottish:
        a, b = american.synthesize(text), scottish.synthesize(text)
        assert (american.voice, scottish.voice) == ("gmw/en-us", "gmw/en-gb-scotland")
    assert a.pcm != b.pcm and abs(a.duration - b.duration) > 0.05


def test_an_unknown_voice_fails_at_start_with_one_line() -> None:
    with pytest.raises(ConfigError, match="tts.voice 'no-such-voice': no such pyttsx3 voice"):
        SpeechWorker(TtsSettings(voice="no-such-voice")).start()


def test_fresh_workers_speak_their_first_sentence_in_full_at_the_set_rate() -> None:
    # Regression: pyttsx3's driver.stop() used to cancel espeak's queue at random, giving an
    # empty WAV or the default rate for a few fresh workers in a hundred.
    text = "Magnesium may help with muscle cramps."
    reference = espeak_samples(text, "en-us", 300)
    for _ in range(20):
        with SpeechWorker(TtsSettings(voice="en-us", rate=300)) as worker:
            samples = len(worker.synthesize(text).pcm) // 2
        assert abs(samples - reference) < 0.03 * reference, (samples, reference)


def test_a_warm_worker_keeps_speaking_in_full() -> None:
    # pyttsx3 is known to fail on the second runAndWait; this is the twentieth.
    text = "Please see a doctor about the twitching."
    reference = espeak_samples(text, "en-us", US.rate)
    with SpeechWorker(US) as worker:
        lengths = [len(worker.synthesize(text).pcm) // 2 for _ in range(20)]
        assert worker.restarts == 0
    assert all(abs(n - reference) < 0.03 * reference for n in lengths), lengths


# ---------------------------------------------------------------- the WAV file speaker


def test_two_says_make_one_wav_with_both(listener: Decoder, tmp_path: Path) -> None:
    escalation = "This is an emergency, call for help now."
    answer = "Please see a doctor about the twitching."
    out = tmp_path / "out.wav"
    speaker = WavFileSpeaker(out, US)
    assert "gmw/en-us" in speaker.description and str(out) in speaker.description
    speaker.say(escalation)
    first = read_wav(out.read_bytes())  # complete and playable after every say
    speaker.say(answer)
    speaker.close()
    both = read_wav(out.read_bytes())
    assert_plausible(first, escalation)
    assert_plausible(both, f"{escalation} {answer}")
    assert both.pcm.startswith(first.pcm) and len(both.pcm) > 1.5 * len(first.pcm)
    second = Speech(both.pcm[len(first.pcm):], both.sample_rate)
    assert len(hear(listener, wav_bytes(first)) & SENTENCES[escalation]) >= 2
    assert len(hear(listener, wav_bytes(second)) & SENTENCES[answer]) >= 2


def test_an_unwritable_wav_path_is_one_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "out.wav"
    with pytest.raises(AudioError, match=r"missing-folder/out.wav: cannot write WAV file"):
        WavFileSpeaker(target, US)


def test_open_speaker_with_out_writes_a_wav(tmp_path: Path) -> None:
    speaker = open_speaker(US, out=tmp_path / "a.wav")
    speaker.say("Magnesium may help with muscle cramps.")
    speaker.close()
    assert_plausible(read_wav((tmp_path / "a.wav").read_bytes()),
                     "Magnesium may help with muscle cramps.")


# ---------------------------------------------------------------- hangs and failures


def test_a_stopped_worker_is_replaced_and_the_sentence_still_spoken(tmp_path: Path) -> None:
    worker = SpeechWorker(TtsSettings(voice="en-us", timeout=1.0))
    speaker = WavFileSpeaker(tmp_path / "out.wav", worker.settings, worker=worker)
    stopped = worker.pid
    assert stopped is not None
    os.kill(stopped, signal.SIGSTOP)  # a hung engine: alive, silent
    say = threading.Thread(target=speaker.say, args=("Stretch your calf muscles every evening.",))
    say.start()
    say.join(timeout=30)  # a guard against hanging the suite, not a speed check
    assert not say.is_alive(), "say() hung along with the worker"
    assert worker.restarts == 1 and worker.pid not in (None, stopped)
    with pytest.raises(ProcessLookupError):
        os.kill(stopped, 0)  # the stopped worker was killed and reaped
    speaker.close()
    assert_plausible(read_wav((tmp_path / "out.wav").read_bytes()),
                     "Stretch your calf muscles every evening.")


def test_a_worker_killed_between_answers_is_restarted(tmp_path: Path) -> None:
    worker = SpeechWorker(US)
    speaker = WavFileSpeaker(tmp_path / "out.wav", US, worker=worker)
    speaker.say("Magnesium may help.")
    os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
    speaker.say("Please see a doctor.")
    speaker.close()
    assert worker.restarts == 1
    assert_plausible(read_wav((tmp_path / "out.wav").read_bytes()),
                     "Magnesium may help. Please see a doctor.")


def test_a_worker_that_keeps_hanging_degrades_to_printing(tmp_path: Path, capsys) -> None:
    worker = SpeechWorker(TtsSettings(timeout=1.0), command=HANGING_WORKER)
    printed = io.StringIO()
    speaker = WavFileSpeaker(tmp_path / "out.wav", worker.settings, worker=worker,
                             text_stream=printed)
    say = threading.Thread(target=speaker.say, args=("This is an emergency. Call for help now.",))
    say.start()
    say.join(timeout=30)  # a guard against hanging the suite, not a speed check
    assert not say.is_alive()
    speaker.say("Please see a doctor.")  # already degraded: printed at once, no new worker
    assert worker.pid is None
    speaker.close()
    # Nothing was cut: the whole escalation and the answer are printed, in order.
    assert printed.getvalue() == "This is an emergency. Call for help now.\nPlease see a doctor.\n"
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and "speech engine failed twice" in warnings[0], warnings
    assert read_wav((tmp_path / "out.wav").read_bytes()).pcm == b""


def test_a_worker_that_cannot_start_is_an_engine_error() -> None:
    fails = "import sys; print('boom', file=sys.stderr); sys.exit(3)"
    worker = SpeechWorker(US, command=[sys.executable, "-c", fails])
    with pytest.raises(EngineError, match="did not start: worker exited with status 3: boom"):
        worker.start()
    missing = SpeechWorker(US, command=["/nonexistent/python"])
    with pytest.raises(EngineError, match="cannot run /nonexistent/python"):
        missing.start()


def test_a_worker_that_breaks_the_protocol_is_an_engine_error() -> None:
    garbage = [sys.executable, "-c", ("import sys; sys.stdout.buffer.write(b'\\0\\0\\0\\2hi'); "
                                      "sys.stdout.flush(); sys.stdin.read()")]
    with pytest.raises(EngineError, match="broke the protocol"):
        SpeechWorker(US, command=garbage).start()


# ---------------------------------------------------------------- text and devices


def test_text_speaker_prints_each_text_on_its_own_line() -> None:
    printed = io.StringIO()
    speaker = TextSpeaker(printed)
    speaker.say("Call for help now.")
    speaker.say("   ")
    speaker.say("See a doctor.")
    speaker.close()
    assert printed.getvalue() == "Call for help now.\nSee a doctor.\n"


def _run_without_sound(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh process that can reach no sound server (this machine has no card)."""
    env = dict(os.environ, PULSE_SERVER="unix:/nonexistent/pulse-socket")
    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=root, timeout=120, check=False)


NO_DEVICE = pytest.mark.skipif(
    Path("/dev/snd").exists(),
    reason="this machine has a sound card, so 'no device' cannot be set up")


@NO_DEVICE
def test_open_speaker_without_a_device_prints_and_warns_once() -> None:
    run = _run_without_sound(
        "from voice_skill.tts.speaker import open_speaker\n"
        "from voice_skill.settings import TtsSettings\n"
        "s = open_speaker(TtsSettings())\n"
        "print(s.description)\n"
        "s.say('This is an emergency. Call for help now.')\n"
        "s.say('Please see a doctor.')\n"
        "s.close()\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["printed text only (no speech output)",
                                       "This is an emergency. Call for help now.",
                                       "Please see a doctor."]
    assert run.stderr.splitlines() == [
        "warning: no audio output device found; answers are printed only"]


@NO_DEVICE
def test_device_speaker_without_a_device_is_an_audio_error() -> None:
    run = _run_without_sound(
        "import json\n"
        "from voice_skill.tts.speaker import DeviceSpeaker, open_speaker\n"
        "from voice_skill.settings import TtsSettings\n"
        "from voice_skill.errors import AudioError\n"
        "found = []\n"
        "for make in (lambda: DeviceSpeaker(TtsSettings()),\n"
        "             lambda: open_speaker(TtsSettings(), output_device='speakers')):\n"
        "    try: make()\n"
        "    except AudioError as e: found.append(str(e))\n"
        "print(json.dumps(found))\n")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [
        "no audio output device found",
        "no audio output device found"]


def test_a_named_device_that_does_not_exist_is_an_audio_error() -> None:
    from voice_skill.audio.devices import find_device

    with pytest.raises(AudioError, match="no audio output device found|"
                                         "'no-such-device-xyz' matches no output device"):
        find_device("no-such-device-xyz", "output")
