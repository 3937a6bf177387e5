"""Interruptible speech, earcons and a speaker that outlives its device.

The real-path tests play through a private PulseAudio server and listen to its loudspeaker
(the null sink's monitor); fakes beside them pin down the player's states quickly.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import time
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy
import pytest
from monitor import MonitorRecorder
from pulse import SINK, PulseServer, pulse_audio_fixture  # noqa: F401 - the fixture

from voice_skill.errors import AudioError
from voice_skill.settings import TtsSettings, VoiceSettings
from voice_skill.tts.earcon import EARCONS, earcon_speech, earcon_volume
from voice_skill.tts.playback import Backoff, Delivery, Player, Playing
from voice_skill.tts.speaker import DeviceSpeaker, TextSpeaker, WavFileSpeaker
from voice_skill.tts.worker import RATE_RANGE, VOLUME_RANGE, Speech, SpeechWorker

US = TtsSettings(voice="en-us", timeout=10.0)

LONG_ANSWER = (
    "Calf twitching is usually harmless and often follows exercise. Caffeine, stress and poor "
    "sleep can all make it worse. Magnesium may help, and so can gentle stretching before bed. "
    "Drinking plenty of water during the day also helps many people. See a doctor if the "
    "twitching spreads, comes with weakness, or lasts more than two weeks."
)


def wav_samples(path: Path) -> tuple[numpy.ndarray, int]:
    with wave.open(str(path)) as wav:
        data = wav.readframes(wav.getnframes())
        return numpy.frombuffer(data, dtype="<i2").astype(numpy.float64), wav.getframerate()


# ---------------------------------------------------------------- delivery and backoff


def test_delivery_steps_slower_faster_louder_softer_within_the_engine_ranges() -> None:
    normal = Delivery.from_settings(TtsSettings())
    assert (normal.rate, normal.volume) == (165, 1.0)
    assert normal.slower().rate == 132 and normal.faster().rate == 206
    assert normal.louder().volume == 1.25 and normal.softer().volume == 0.75
    assert normal.slower().slower().faster().faster().rate == 165
    fastest = Delivery(rate=RATE_RANGE[1])
    assert fastest.faster() == fastest
    assert Delivery(rate=RATE_RANGE[0]).slower().rate == RATE_RANGE[0]
    assert Delivery(volume=VOLUME_RANGE[1]).louder().volume == VOLUME_RANGE[1]
    assert Delivery(volume=0.1).softer().volume == 0.0


@pytest.mark.parametrize(("rate", "volume", "message"), [
    (20, 1.0, "speaking rate must be 80 to 450"),
    (165, 3.0, "volume must be 0.0 to 1.5"),
])
def test_a_delivery_out_of_range_is_refused(rate: int, volume: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Delivery(rate=rate, volume=volume)


def test_backoff_doubles_from_one_second_up_to_thirty() -> None:
    backoff = Backoff()
    assert backoff.ready(0.0) and not backoff.down
    delays = [backoff.failed(100.0) for _ in range(7)]
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert not backoff.ready(129.9) and backoff.ready(130.0)
    backoff.succeeded()
    assert not backoff.down and backoff.ready(0.0) and backoff.failed(0.0) == 1


# ---------------------------------------------------------------- earcons


def dominant_pitch(samples: numpy.ndarray, rate: int) -> float:
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(len(samples)), n=8 * len(samples)))
    return float(numpy.argmax(spectrum) * rate / (8 * len(samples)))


@pytest.mark.parametrize(("name", "first", "second"), [("listening", 660, 990),
                                                       ("done", 990, 660)])
@pytest.mark.parametrize("rate", [16000, 22050, 48000])
def test_an_earcon_has_its_two_notes_its_length_and_no_clicks(name: str, first: float,
                                                              second: float, rate: int) -> None:
    tone = earcon_speech(name, rate, 0.3)
    samples = numpy.frombuffer(tone.pcm, dtype="<i2").astype(numpy.float64)
    assert tone.sample_rate == rate and tone.duration == pytest.approx(0.16, abs=1 / rate)
    half = len(samples) // 2
    assert dominant_pitch(samples[:half], rate) == pytest.approx(first, rel=0.01)
    assert dominant_pitch(samples[half:], rate) == pytest.approx(second, rel=0.01)
    # Zero crossings agree: two per cycle.
    crossings = numpy.count_nonzero(numpy.diff(numpy.signbit(samples[:half])))
    assert crossings / 2 / 0.08 == pytest.approx(first, rel=0.05)
    # Peak at the volume asked for; starts and ends at zero, as does each note at the join.
    assert numpy.max(numpy.abs(samples)) == pytest.approx(0.3 * 32767, rel=0.01)
    edge = int(0.002 * rate)
    for part in (samples[:edge], samples[-edge:], samples[half - edge:half + edge]):
        assert numpy.max(numpy.abs(part)) < 0.05 * 32767
    # No step anywhere larger than the steepest slope of the highest note.
    steepest = 0.3 * 32767 * 2 * numpy.pi * max(first, second) / rate
    assert numpy.max(numpy.abs(numpy.diff(samples))) <= 1.01 * steepest


def test_earcon_volume_comes_from_the_voice_settings_and_can_be_off() -> None:
    assert earcon_volume(VoiceSettings()) == 0.3
    assert earcon_volume(VoiceSettings(earcons=False)) is None
    silent = numpy.frombuffer(earcon_speech("done", 16000, 0.0).pcm, dtype="<i2")
    assert not silent.any()
    with pytest.raises(ValueError, match="unknown earcon 'beep'"):
        earcon_speech("beep", 16000, 0.3)
    assert set(EARCONS) == {"listening", "done"}


# ---------------------------------------------------------------- the player, with fakes


class PacedOutput:
    """A fake device: takes samples at real-time pace and remembers every call."""

    def __init__(self, sample_rate: int = 1000, fail_writes: int = 0) -> None:
        self.sample_rate = sample_rate
        self.latency = 0.0
        self.calls: list[str] = []
        self.written = bytearray()
        self.fail_writes = fail_writes
        """This many writes from now on raise AudioError, as a vanished device does."""

    def open(self) -> None:
        self.calls.append("open")

    def write(self, pcm: bytes) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise AudioError("audio output failed (device unplugged)")
        self.written += pcm
        time.sleep(len(pcm) / 2 / self.sample_rate)

    def finish(self) -> None:
        self.calls.append("finish")

    def abort(self) -> None:
        self.calls.append("abort")


def tone_source(seconds: float, synthesis_delay: float = 0.0):
    """A speech source making `seconds` of full-scale samples per sentence (value = index + 1)."""
    made: list[str] = []

    def source(sentences: Sequence[str], delivery: Delivery | None) -> Iterator[Speech]:
        for index, sentence in enumerate(sentences):
            time.sleep(synthesis_delay)
            made.append(sentence)
            yield Speech(numpy.full(int(1000 * seconds), index + 1, "<i2").tobytes(), 1000)
    return source, made


def test_stop_silences_the_output_and_drops_the_sentences_not_yet_said() -> None:
    source, made = tone_source(2.0)  # long enough that the stop lands in sentence one
    output = PacedOutput()
    captions: list[str] = []
    player = Player(source, output, captions.append)
    player.start("One. Two. Three. Four.", ["One.", "Two.", "Three.", "Four."], None)
    while player.now_playing is None:
        time.sleep(0.01)
    playing = player.now_playing
    assert playing.text == "One. Two. Three. Four." and playing.sentence == "One."
    player.stop()
    assert not player.speaking and player.now_playing is None
    assert player.last_played_at is not None and player.last_played_at >= playing.since
    heard = len(output.written)
    time.sleep(0.3)
    assert len(output.written) == heard, "audio went on after stop() returned"
    assert set(numpy.frombuffer(bytes(output.written), "<i2")) == {1}, "only sentence one played"
    assert output.calls == ["open", "abort"] and captions == [] and len(made) <= 3


def test_without_stop_every_sentence_plays_and_the_output_drains() -> None:
    source, _ = tone_source(0.05)
    output = PacedOutput()
    player = Player(source, output, print)
    player.start("One. Two. Three.", ["One.", "Two.", "Three."], None)
    assert player.wait(timeout=30)
    assert list(dict.fromkeys(numpy.frombuffer(bytes(output.written), "<i2"))) == [1, 2, 3]
    assert output.calls == ["open", "finish"]


def test_stop_during_synthesis_plays_nothing_and_a_new_answer_follows() -> None:
    source, made = tone_source(0.05, synthesis_delay=0.5)
    output = PacedOutput()
    player = Player(source, output, print)
    player.start("Slow one.", ["Slow one."], None)
    player.stop()  # the worker is still synthesising
    assert not player.speaking and output.written == b"" and output.calls == []
    player.start("Next.", ["Next."], None)  # waits its turn for the worker, then plays
    assert player.wait(timeout=30)
    assert made[-1] == "Next." and len(output.written) == 100


def test_a_failed_output_captions_the_rest_then_is_retried_with_backoff(caplog) -> None:
    clock = [1000.0]
    source, _ = tone_source(0.02)
    output = PacedOutput(fail_writes=1)
    captions: list[str] = []
    player = Player(source, output, captions.append, clock=lambda: clock[0])
    with caplog.at_level(logging.DEBUG, logger="voice_skill.tts.playback"):
        player.start("One. Two.", ["One.", "Two."], None)
        player.wait(timeout=30)
        assert captions == ["One. Two."] and player.backoff.down
        player.start("Three.", ["Three."], None)  # within the first second: captions only
        player.wait(timeout=30)
        assert captions[-1] == "Three." and output.calls == ["open", "abort"]
        clock[0] += 1.0  # the retry is due; the device is still gone
        output.fail_writes = 1
        player.start("Four.", ["Four."], None)
        player.wait(timeout=30)
        assert captions[-1] == "Four." and player.backoff.failures == 2
        clock[0] += 2.0  # due again, and the device is back
        player.start("Five.", ["Five."], None)
        player.wait(timeout=30)
    assert captions[-1] == "Four." and not player.backoff.down and output.written
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert logged == [("WARNING", "audio output failed (device unplugged); captions only, "
                                  "retrying the output in 1 s"),
                      ("INFO", "audio output is back after 2 failed attempts")]


def test_the_text_speaker_offers_the_same_calls() -> None:
    printed = io.StringIO()
    speaker = TextSpeaker(printed)
    speaker.start("Call for help now.")
    speaker.stop()
    speaker.earcon("listening")
    assert speaker.wait(0) and not speaker.speaking and speaker.now_playing is None
    speaker.say("See a doctor.", Delivery(rate=120))
    assert printed.getvalue() == "Call for help now.\nSee a doctor.\n"


# ---------------------------------------------------------------- real speech into a WAV file


def test_per_call_rate_and_volume_reach_the_engine(tmp_path: Path) -> None:
    text = "Stretch your calf muscles every evening."
    lengths, levels = {}, {}
    speaker = WavFileSpeaker(tmp_path / "out.wav", US)
    for name, delivery in [("normal", None), ("slow", Delivery(rate=120)),
                           ("fast", Delivery(rate=300)), ("soft", Delivery(volume=0.3)),
                           ("normal again", None)]:
        before = len(wav_samples(tmp_path / "out.wav")[0])
        speaker.say(text, delivery)
        samples = wav_samples(tmp_path / "out.wav")[0][before:]
        lengths[name], levels[name] = len(samples), numpy.sqrt(numpy.mean(samples**2))
    speaker.close()
    assert lengths["fast"] < 0.6 * lengths["slow"]
    assert lengths["slow"] > lengths["normal"] > lengths["fast"]
    assert levels["soft"] < 0.5 * levels["normal"]
    # One request's delivery does not stick to the next.
    assert lengths["normal again"] == pytest.approx(lengths["normal"], rel=0.03)
    assert levels["normal again"] == pytest.approx(levels["normal"], rel=0.05)


def test_a_stopped_answer_ends_early_in_the_file(tmp_path: Path) -> None:
    speaker = WavFileSpeaker(tmp_path / "stopped.wav", US)
    speaker.start(LONG_ANSWER)
    speaker.stop()
    stopped = len(wav_samples(tmp_path / "stopped.wav")[0])
    speaker.say(LONG_ANSWER)
    speaker.close()
    whole = len(wav_samples(tmp_path / "stopped.wav")[0]) - stopped
    assert stopped < 0.5 * whole, (stopped, whole)


def test_earcons_are_written_at_the_files_rate_and_can_be_off(tmp_path: Path) -> None:
    speaker = WavFileSpeaker(tmp_path / "tones.wav", US, earcon_volume=0.5)
    speaker.earcon("listening")
    speaker.wait()
    assert isinstance(speaker.last_played_at, float)
    speaker.close()
    samples, rate = wav_samples(tmp_path / "tones.wav")
    assert samples.astype("<i2").tobytes() == earcon_speech("listening", rate, 0.5).pcm
    quiet = WavFileSpeaker(tmp_path / "quiet.wav", US)  # earcon_volume None: earcons off
    quiet.earcon("listening")
    quiet.wait()
    quiet.close()
    assert len(wav_samples(tmp_path / "quiet.wav")[0]) == 0


# ---------------------------------------------------------------- real audio server


@pytest.fixture()
def device_speaker(pulse_audio: PulseServer) -> Iterator[tuple[DeviceSpeaker, io.StringIO]]:
    captions = io.StringIO()
    speaker = DeviceSpeaker(US, text_stream=captions, earcon_volume=0.3)
    try:
        yield speaker, captions
    finally:
        speaker.close()


def test_a_stopped_answer_falls_silent_and_an_unstopped_one_goes_on(
        pulse_audio: PulseServer, device_speaker: tuple[DeviceSpeaker, io.StringIO]) -> None:
    speaker, _ = device_speaker
    with MonitorRecorder(pulse_audio.env, SINK) as recording:
        speaker.start(LONG_ANSWER)
        while speaker.now_playing is None and speaker.speaking:
            time.sleep(0.01)
        playing = speaker.now_playing
        assert isinstance(playing, Playing) and playing.text == LONG_ANSWER
        time.sleep(1.0)
        stopped_at = time.monotonic()
        speaker.stop()
        assert not speaker.speaking
        time.sleep(1.5)
        after_stop = recording.sound_between(stopped_at + 0.3, time.monotonic())
        before_stop = recording.sound_between(playing.since, stopped_at)
        # Not stopped: the same answer is still sounding 2.5 s in.
        speaker.start(LONG_ANSWER)
        while speaker.now_playing is None and speaker.speaking:
            time.sleep(0.01)
        began = speaker.now_playing.since  # type: ignore[union-attr]
        time.sleep(2.5)
        still_speaking = speaker.speaking
        speaker.stop()
        unstopped = recording.sound_between(began + 1.3, began + 2.5)
    assert before_stop > 0.3, "nothing was heard before the stop"
    assert after_stop == 0.0, f"{after_stop:.2f} s of sound more than 0.3 s after stop()"
    assert still_speaking and unstopped > 0.3, "the unstopped answer did not go on"


def test_the_speaker_survives_its_device_going_away_and_coming_back(
        pulse_audio: PulseServer, device_speaker: tuple[DeviceSpeaker, io.StringIO],
        caplog) -> None:
    speaker, captions = device_speaker
    with caplog.at_level(logging.INFO, logger="voice_skill.tts.playback"):
        speaker.start(LONG_ANSWER)
        while speaker.now_playing is None and speaker.speaking:
            time.sleep(0.01)
        time.sleep(0.5)
        module = _null_sink_module(pulse_audio)
        pulse_audio.pactl("unload-module", module)
        try:
            assert speaker.wait(timeout=30), "the speaker hung when its device went away"
            gone = captions.getvalue()
            assert gone.strip() and LONG_ANSWER.endswith(gone.strip()), gone
            assert speaker._player.backoff.down
            speaker.say("Please see a doctor.")  # before the retry is due: captions only
            assert captions.getvalue().endswith("Please see a doctor.\n")
        finally:
            pulse_audio.pactl("load-module", "module-null-sink", f"sink_name={SINK}")
            pulse_audio.pactl("set-default-sink", SINK)
        while not speaker._player.backoff.ready(time.monotonic()):
            time.sleep(0.1)
        printed = captions.getvalue()
        with MonitorRecorder(pulse_audio.env, SINK) as recording:
            speaker.say("Stretch your calf muscles every evening.")
            heard = recording.sound_between(0.0, float("inf"))
    assert captions.getvalue() == printed, "the next answer was printed, not played"
    assert heard > 0.5, "the next answer was not heard after the device came back"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and "captions only" in warnings[0], warnings
    assert warnings[1].startswith("audio output is back")


def test_an_earcon_is_heard_through_the_device(
        pulse_audio: PulseServer, device_speaker: tuple[DeviceSpeaker, io.StringIO]) -> None:
    speaker, _ = device_speaker
    with MonitorRecorder(pulse_audio.env, SINK) as recording:
        speaker.earcon("listening")
        assert speaker.wait(timeout=10)
    loud = recording.loud_windows(threshold=1000)
    assert len(loud) > 0, "the earcon was not heard"
    heard = recording.samples[loud[0]:loud[-1] + 160]
    # All of it: PortAudio's stop would drop the buffered tail if nothing pushed it out.
    assert len(heard) / 16000 >= 0.12, f"only {len(heard) / 16000:.3f} s of 0.16 s heard"
    half = len(heard) // 2
    assert dominant_pitch(heard[:half], 16000) == pytest.approx(660, rel=0.03)
    assert dominant_pitch(heard[half:], 16000) == pytest.approx(990, rel=0.03)


def _null_sink_module(server: PulseServer) -> str:
    for line in server.pactl("list", "short", "modules").splitlines():
        if "module-null-sink" in line and SINK in line:
            return line.split()[0]
    raise AssertionError("the test server has no null sink")


def test_stop_does_not_wait_for_a_hung_worker_and_the_next_answer_is_spoken(
        tmp_path: Path) -> None:
    worker = SpeechWorker(TtsSettings(voice="en-us", timeout=1.0))
    speaker = WavFileSpeaker(tmp_path / "out.wav", worker.settings, worker=worker)
    hung = worker.pid
    assert hung is not None
    os.kill(hung, signal.SIGSTOP)  # a hung engine: alive, silent
    speaker.start("Stretch your calf muscles every evening.")
    speaker.stop()  # returns while the request is still hanging in the worker
    assert not speaker.speaking
    speaker.say("Please see a doctor.")  # waits for the worker's timeout and restart
    speaker.close()
    assert worker.restarts == 1 and worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(hung, 0)  # the hung worker was killed and reaped
    samples, rate = wav_samples(tmp_path / "out.wav")
    # espeak-ng says "Please see a doctor." in 1.47 s; with the stopped sentence, 3.9 s.
    assert 0.5 < len(samples) / rate < 2.0, "the next answer was not written once, alone"


def test_a_crashed_worker_is_restarted_under_the_device_speaker(
        pulse_audio: PulseServer, device_speaker: tuple[DeviceSpeaker, io.StringIO]) -> None:
    speaker, captions = device_speaker
    worker = speaker._voice.worker
    speaker.say("Magnesium may help.")
    os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
    with MonitorRecorder(pulse_audio.env, SINK) as recording:
        speaker.say("Please see a doctor.")
        heard = recording.sound_between(0.0, float("inf"))
    assert worker.restarts == 1 and heard > 0.4 and captions.getvalue() == ""
