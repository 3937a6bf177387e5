"""Real devices: PortAudio (sounddevice) talking to a private PulseAudio server.

The pipe source is the microphone: speech synthesised by espeak-ng is written into it in real
time, recorded through `Microphone` at the device's native rate, and endpointed.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from pulse import SINK, SOURCE, PulseServer, pulse_audio_fixture  # noqa: F401 - the fixture
from speech import synthesize

from voice_skill.audio.devices import Microphone, find_device, list_devices
from voice_skill.audio.endpoint import utterances
from voice_skill.audio.pcm import SAMPLE_RATE
from voice_skill.audio.wav import read_wav
from voice_skill.errors import AudioError
from voice_skill.settings import AudioSettings


def _best_correlation(reference: bytes, recorded: bytes) -> float:
    """Peak normalised cross-correlation of two s16le signals over every alignment."""
    a = np.frombuffer(reference, dtype="<i2").astype(np.float64)
    b = np.frombuffer(recorded, dtype="<i2").astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    product = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    return float(product.max() / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_list_devices_sees_the_pulse_device(pulse_audio: PulseServer) -> None:
    names = [device.name for device in list_devices()]
    assert "pulse" in names, names
    device = find_device("PULSE", "input")  # case-insensitive part of the name
    assert device.name == "pulse"
    assert device.max_input_channels > 0
    assert device.default_samplerate > 0


def test_default_input_is_the_pulse_server(pulse_audio: PulseServer) -> None:
    device = find_device(None, "input")
    assert device.name in ("default", "pulse")
    assert pulse_audio.pactl("get-default-source").strip() == SOURCE


def test_microphone_hears_speech_fed_into_the_pipe_source(pulse_audio: PulseServer) -> None:
    speech = synthesize("Why does my calf muscle twitch after running?", pad=0.0)
    settings = AudioSettings(calibration=0.3)
    limit = int(15 / 0.05)  # chunks of 50 ms: give up after 15 s instead of hanging
    with Microphone(settings, chunk_seconds=0.05) as microphone:
        assert microphone.device is not None and microphone.device.default_samplerate > 0
        chunks = itertools.islice(microphone.chunks(), limit)
        time.sleep(0.2)  # the stream is open: what we feed now is recorded
        pulse_audio.feed(speech, pad=1.0)
        found = next(utterances(chunks, settings), None)
    assert found is not None, "no utterance heard through the microphone"
    speech_seconds = len(speech) / 2 / SAMPLE_RATE
    assert speech_seconds - 0.3 <= found.duration <= speech_seconds + 1.0
    # The same speech, after PulseAudio's and our resampling: the waveforms still line up.
    assert _best_correlation(speech, found.pcm) > 0.8


def test_microphone_by_name_delivers_16k_in_real_time(pulse_audio: PulseServer) -> None:
    with Microphone(AudioSettings(device="pulse"), chunk_seconds=0.1) as microphone:
        assert microphone.device is not None and microphone.device.name == "pulse"
        received = sum(len(chunk) for chunk in itertools.islice(microphone.chunks(), 20))
    # 20 device blocks of 0.1 s at the native rate become 2 s at 16 kHz, give or take
    # what the resampler still holds back (its filter half-length).
    assert abs(received / 2 / SAMPLE_RATE - 2.0) < 0.01


def test_microphone_with_an_unknown_name_lists_the_choices(pulse_audio: PulseServer) -> None:
    unknown = Microphone(AudioSettings(device="no such microphone"))
    with pytest.raises(AudioError, match="matches no input device; choices: .*pulse"):
        unknown.__enter__()


def test_playback_through_sounddevice_reaches_the_null_sink(
    pulse_audio: PulseServer, tmp_path: Path
) -> None:
    import sounddevice as sd  # type: ignore[import-untyped]

    speech = np.frombuffer(synthesize("Stretch your calves gently.", pad=0.1), dtype="<i2")
    with pulse_audio.record_sink(tmp_path / "sink.wav") as recording:
        sd.play(speech, samplerate=SAMPLE_RATE, blocking=True)
    heard = np.frombuffer(read_wav(recording), dtype="<i2").astype(np.float64)
    assert len(heard) > SAMPLE_RATE // 2
    assert np.sqrt(np.mean(heard**2)) > 300, "the sink monitor recorded silence"
    assert _best_correlation(speech.tobytes(), heard.astype("<i2").tobytes()) > 0.8


def test_pulse_server_sets_up_its_devices(pulse_audio: PulseServer) -> None:
    sinks = pulse_audio.pactl("list", "short", "sinks")
    sources = pulse_audio.pactl("list", "short", "sources")
    assert SINK in sinks and SOURCE in sources


def test_microphone_without_any_input_device_is_a_clear_error() -> None:
    # A fresh process whose PulseAudio address leads nowhere: PortAudio finds no device.
    code = textwrap.dedent("""
        from voice_skill.audio.devices import Microphone, list_devices
        from voice_skill.errors import AudioError
        if any(d.max_input_channels for d in list_devices()):
            print("HAS-INPUT")
            raise SystemExit(0)
        try:
            with Microphone():
                pass
        except AudioError as error:
            print("AUDIO-ERROR", error)
    """)
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/voice-skill-test"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    if "HAS-INPUT" in result.stdout:
        pytest.skip("this machine has a real input device, so 'no device' cannot be produced")
    assert result.stdout.startswith("AUDIO-ERROR no audio input device found"), result


def test_an_output_device_number_is_its_index_and_speech_reaches_the_null_sink(
    pulse_audio: PulseServer, tmp_path: Path
) -> None:
    """The speaker finds its device through the same matcher as the microphone: "N" is device
    number N (never a device with N in its name), and what it says plays into the null sink."""
    from voice_skill.settings import TtsSettings
    from voice_skill.tts.speaker import DeviceSpeaker

    pulse = find_device("pulse", "output")
    assert pulse.max_output_channels > 0
    assert find_device(str(pulse.index), "output") == pulse
    assert find_device(None, "output").name in ("default", "pulse")
    speaker = DeviceSpeaker(TtsSettings(voice="en-us", timeout=10.0), str(pulse.index))
    try:
        assert speaker.description.endswith("output device 'pulse'")
        with pulse_audio.record_sink(tmp_path / "sink.wav") as recording:
            speaker.say("Stretch your calves gently.")
    finally:
        speaker.close()
    heard = np.frombuffer(read_wav(recording), dtype="<i2").astype(np.float64)
    assert len(heard) > SAMPLE_RATE // 2
    assert np.sqrt(np.mean(heard**2)) > 300, "the sink monitor recorded silence"
