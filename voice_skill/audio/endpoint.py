"""Endpointing: cut a stream of 16 kHz mono s16le into utterances, with no I/O at all.

Energy in the speech band (300-3400 Hz) against an adaptive noise floor: the floor is
calibrated from the first `AudioSettings.calibration` seconds (a low percentile, so speech in
that window barely moves it), then follows the background while nobody speaks — down quickly,
up slowly. Speech starts after a few consecutive frames clearly above the floor and ends after
`trailing_silence` of frames near it. Bursts shorter than `min_speech` are reported as
Discarded, never as speech.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..settings import AudioSettings

SAMPLE_RATE = 16000
"""Rate of the PCM the endpointer reads (hertz)."""

FRAME_SECONDS = 0.02
"""Analysis frame (seconds); 20 ms is short enough for boundaries, long enough for energy."""

FRAME_BYTES = int(SAMPLE_RATE * FRAME_SECONDS) * 2


@dataclass(frozen=True)
class SpeechStarted:
    """Energy rose above the floor long enough to be speech (barge-in can react to this)."""

    start: float
    """Start of the pre-roll kept before the detected onset (seconds from stream start)."""


@dataclass(frozen=True)
class Discarded:
    """What looked like speech ended before `min_speech`: a click, cough or door."""

    start: float
    """Start of the burst (seconds from stream start)."""
    end: float
    """End of its last loud frame (seconds from stream start)."""


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech, ready for a recogniser."""

    pcm: bytes
    """16 kHz mono s16le: pre-roll, the speech, and up to `pre_roll` of trailing silence."""
    start: float
    """Time of the first sample in pcm (seconds from stream start)."""
    end: float
    """Time just after the last sample in pcm (seconds from stream start)."""
    truncated: bool = False
    """True when `max_utterance` cut it; the speech goes on in the next Utterance."""
    early: bool = False
    """True when it ended after only `early_end_silence`, because the phrase was complete."""

    @property
    def duration(self) -> float:
        """Length of pcm (seconds)."""
        return len(self.pcm) / 2 / SAMPLE_RATE


Event = SpeechStarted | Discarded | Utterance


@dataclass(frozen=True)
class Thresholds:
    """Tuning of the energy detector (decibels relative to the noise floor)."""

    start_db: float = 9.0
    """A frame this far above the floor may start speech."""
    continue_db: float = 6.0
    """Within an utterance, a frame this far above the floor still counts as speech.

    At 5 dB, brown noise (whose in-band energy wanders about 4 dB) kept an utterance open
    through a 1.5 s pause at 10 and 20 dB SNR; 6 dB ended it (measured, sox brownnoise).
    """
    start_frames: int = 3
    """Consecutive loud frames needed to start (a click is one or two)."""
    floor_min_db: float = -75.0
    """Lowest floor allowed (dBFS), so digital silence does not make dither look like speech."""
    calibration_percentile: float = 10.0
    """Percentile of calibration frames taken as the floor; low so early speech barely counts."""
    fall_rate: float = 0.3
    """Per-frame step towards a quieter background (fast: the room got quieter)."""
    rise_rate: float = 0.007
    """Per-frame step towards a louder background (slow: about 3 s time constant)."""
    speaker_relative_db: float = 12.0
    """Within an utterance, the speech level (smoothed over `level_frames`) must also be within
    this of the speaker's own level (the 90th percentile of the utterance's frames) to count:
    other people talking in the room are quieter than the person at the microphone.

    Without it, babble kept every utterance open until it stopped, at any level from 5 to 20
    dB below the question. bench/bench_endpoint.py --part babble (24 development questions,
    flite and espeak-ng voices, four other espeak-ng talkers going on 6 s after the question),
    utterance closed after the question's end, median / max seconds:
      off: 6.25/6.35 at every babble level (held to the end);
      12 dB: clean 0.63/0.73, babble 20 dB below 0.63/0.77, 15 dB below 0.71 median (some
        still held), 10 and 5 dB below still held (energy cannot tell one talker from another;
        max_utterance is the backstop there);
      10 dB: closes more of the 10 dB babble (1.72 median) but cut a clean question in two
        (flite rms "what is a thoracic disc prolapse", 1 of 40), which 12 dB did not.
    --part human: on the 13 human recordings of pocketsphinx-testdata, 12 dB split none of the
    read sentences, only two spoken lists of numbers at their pauses (8 dB split five). Where
    it ends an utterance, the pre_roll kept after the last frame near the speaker's level can
    end before a weak last consonant: the aligned last word of 3 recordings ("clubs",
    "disposed", "meters") lost up to 0.12 s (forced alignment to the reference text; none with
    the check off, where the utterance runs to the end of the file).
    """
    level_frames: int = 8
    """Frames (160 ms) over which the speech level is averaged for `speaker_relative_db`, so a
    syllable's dip is not a pause, nor one loud syllable of babble the speaker going on
    (measured in a first version: unsmoothed frames held the utterance open at 15 dB babble
    where 8 frames closed it)."""


FILE_RETRY_THRESHOLDS = Thresholds(start_db=6.0, start_frames=5)
"""A second look at a file in which the default thresholds found no speech (loop.py): speech
as quiet as 6 dB over the floor for 100 ms. Measured on the development questions spoken by
flite slt in white noise at 10 dB SNR, where speech peaks only about 10 dB above the floor: 4 of
113 files had no speech found, 2 of them (one a red flag) found with these; sox white, pink and
brown noise alone (4 s, 3 seeds each) still gave none. Live listening keeps the defaults, where a
false start costs a misheard turn."""


SPEECH_BAND = (300.0, 3400.0)
"""Band whose energy is measured (hertz): the telephone voice channel (ITU-T G.712).

Chosen by measurement on espeak-ng speech in sox noise: with whole-band energy an utterance
in brown noise at 5 dB SNR never ended, and with pre-emphasis instead the speech in white
noise at 10 dB SNR was lost; with this band both sentences of the two-sentence test are found
in pink, white and brown noise down to 5 dB SNR (bench/bench_endpoint.py prints the table).
"""

_WINDOW = np.hanning(FRAME_BYTES // 2)
_FREQUENCIES = np.fft.rfftfreq(FRAME_BYTES // 2, 1.0 / SAMPLE_RATE)
_IN_BAND = (_FREQUENCIES >= SPEECH_BAND[0]) & (_FREQUENCIES <= SPEECH_BAND[1])
# Parseval for a one-sided spectrum of a windowed frame: mean square = 2 sum|X|^2 / (N^2 mean w^2)
_SCALE = 2.0 / (len(_WINDOW) ** 2 * float(np.mean(_WINDOW**2)))


DIGITAL_SILENCE_DB = -95.0
"""Frames below this are exact zeros or nearly (one bit of dither is about -94 dBFS in band):
a muted source or a synthesiser's padding, never a room. They do not move the noise floor,
which otherwise sank to its minimum in 0.3 s of them, so that the room's noise after the next
speech held the utterance open until max_utterance (found by bench/bench_session.py)."""


def frame_energies(pcm: bytes) -> np.ndarray:
    """In-band energy of each whole 20 ms frame of s16le PCM (dBFS; about -100 for silence)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % FRAME_BYTES], dtype="<i2")
    frames = samples.reshape(-1, FRAME_BYTES // 2).astype(np.float64) / 32768.0
    spectrum = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2
    energies: np.ndarray = 10.0 * np.log10(_SCALE * spectrum[:, _IN_BAND].sum(axis=1) + 1e-10)
    return energies


def smoothed_level(energies: list[float]) -> float:
    """The mean power of frames given in dB, back in dB."""
    return float(10.0 * np.log10(np.mean(np.power(10.0, np.asarray(energies) / 10.0))))


def _frames(seconds: float) -> int:
    """Whole analysis frames in a duration."""
    return max(round(seconds / FRAME_SECONDS), 0)


SPEAKER_LEVEL_EVERY = 5
"""Frames between updates of the speaker's level (a percentile over the utterance so far)."""
SPEAKER_LEVEL_PERCENTILE = 90.0
"""Percentile of the utterance's frame energies taken as the speaker's level: their voiced
peaks, not their pauses."""


@dataclass
class _Speech:
    """The utterance being collected."""

    frames: list[bytes]
    start_frame: int
    onset_frame: int
    last_loud: int
    """Last frame loud over the floor and near the speaker's own level: trailing_silence
    counts from here."""
    energies: list[float] = field(default_factory=list)
    last_voiced: int = -1
    """Last frame loud over the floor at all: early_end_silence counts from here, since a
    quarter-second dip below the speaker's level is common inside a sentence (it split one
    in the tests), and a quarter second over the floor is not the end."""
    speaker_db: float | None = None
    """The speaker's level so far (dBFS); None until enough frames have been heard."""


class Endpointer:
    """Feed PCM chunks of any size; get SpeechStarted, Discarded and Utterance events back."""

    def __init__(self, settings: AudioSettings | None = None, thresholds: Thresholds | None = None):
        self.settings = settings or AudioSettings()  # ranges checked when it was built
        self.thresholds = thresholds or Thresholds()
        settings = self.settings
        self._calibration_frames = _frames(settings.calibration)
        self._trailing = max(_frames(settings.trailing_silence), 1)
        self._early_trailing = max(_frames(settings.early_end_silence), 1)
        self._max_frames = max(_frames(settings.max_utterance), 1)
        self._min_speech = _frames(settings.min_speech)
        self._pre_roll = _frames(settings.pre_roll)
        self._pending = b""
        self._frame_index = 0  # frames processed by the detector
        self._calibration: list[tuple[bytes, float]] = []
        self.floor_db: float | None = None
        self._history: deque[bytes] = deque(maxlen=self._pre_roll + self.thresholds.start_frames)
        self._run = 0  # consecutive loud frames while idle
        self._speech: _Speech | None = None
        self._complete = False  # the recogniser said the phrase is complete

    def feed(self, chunk: bytes, phrase_complete: bool = False) -> list[Event]:
        """Process the next chunk and return the events it completes.

        phrase_complete: the recogniser's latest judgement that the phrase is finished. While
        it holds, an utterance ends after only `AudioSettings.early_end_silence` of quiet
        instead of `trailing_silence`. It holds for this chunk only: the caller passes it
        again with every chunk while it still stands (False withdraws it), and a loud frame
        withdraws it too, so a wrong guess costs nothing while the speaker is still audible.
        """
        self._complete = phrase_complete and self._speech is not None
        data = self._pending + chunk
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        events: list[Event] = []
        frames = [data[i : i + FRAME_BYTES] for i in range(0, whole, FRAME_BYTES)]
        for frame, energy in zip(frames, frame_energies(data[:whole]).tolist(), strict=True):
            if self.floor_db is None:
                events += self._calibrate(frame, energy)
            else:
                events += self._step(frame, energy)
        return events

    def judge_complete(self, phrase_complete: bool) -> list[Event]:
        """The recogniser's judgement, given between chunks: the early end may fire at once,
        if the quiet since the last loud frame is already `early_end_silence` long."""
        self._complete = phrase_complete and self._speech is not None
        if not self._complete:
            return []
        assert self._speech is not None
        quiet = self._frame_index - 1 - self._speech.last_voiced
        if quiet >= self._early_trailing:
            return [self._close(truncated=False, trim=True, early=True)]
        return []

    def finish(self) -> list[Event]:
        """End of stream: flush calibration and close any utterance in progress."""
        events: list[Event] = []
        if self.floor_db is None:
            events += self._end_calibration()
        if self._speech is not None:
            self._speech.frames.append(self._pending)
            events.append(self._close(truncated=False, trim=False))
        self._pending = b""
        return events

    def abandon(self) -> None:
        """Drop the utterance under way without an event; the floor and position are kept."""
        self._speech, self._run, self._complete = None, 0, False
        self._history.clear()

    def _calibrate(self, frame: bytes, energy: float) -> list[Event]:
        self._calibration.append((frame, energy))
        if len(self._calibration) < self._calibration_frames:
            return []
        return self._end_calibration()

    def _end_calibration(self) -> list[Event]:
        energies = [energy for _, energy in self._calibration]
        percentile = self.thresholds.calibration_percentile
        floor = np.percentile(energies, percentile) if energies else -60.0
        self.floor_db = max(float(floor), self.thresholds.floor_min_db)
        # Replay the calibration audio so speech in the first moments is not lost.
        buffered, self._calibration = self._calibration, []
        return [event for frame, energy in buffered for event in self._step(frame, energy)]

    def _time(self, frame_index: int) -> float:
        return frame_index * FRAME_SECONDS

    def _step(self, frame: bytes, energy: float) -> list[Event]:
        index = self._frame_index
        self._frame_index += 1
        if self._speech is None:
            return self._step_idle(frame, energy, index)
        return self._step_speech(frame, energy, index)

    def _step_idle(self, frame: bytes, energy: float, index: int) -> list[Event]:
        assert self.floor_db is not None
        self._history.append(frame)
        if energy > self.floor_db + self.thresholds.start_db:
            self._run += 1
        else:
            self._run = 0
            if energy > DIGITAL_SILENCE_DB:
                self._adapt_floor(energy)
        if self._run < self.thresholds.start_frames:
            return []
        onset = index - self._run + 1
        frames = list(self._history)
        start = index - len(frames) + 1
        self._speech = _Speech(frames, start, onset, index, [energy], last_voiced=index)
        self._history.clear()
        self._run = 0
        return [SpeechStarted(self._time(start))]

    def _step_speech(self, frame: bytes, energy: float, index: int) -> list[Event]:
        assert self._speech is not None and self.floor_db is not None
        speech = self._speech
        speech.frames.append(frame)
        speech.energies.append(energy)
        if self._over_floor(energy):
            speech.last_voiced = index
            self._complete = False
            if self._near_speaker(speech):
                speech.last_loud = index
        if index - speech.last_loud >= self._trailing:
            return [self._close(truncated=False, trim=True)]
        if index - speech.last_voiced >= self._early_trailing and self._complete:
            return [self._close(truncated=False, trim=True, early=True)]
        if len(speech.frames) >= self._max_frames:
            return self._cut(index)
        return []

    def _over_floor(self, energy: float) -> bool:
        assert self.floor_db is not None
        return energy > self.floor_db + self.thresholds.continue_db

    def _near_speaker(self, speech: _Speech) -> bool:
        """Once the speaker's level is known, the recent level has not fallen far below it:
        other people talking in the room are quieter than the person at the microphone."""
        count = len(speech.energies)
        if count >= 2 * SPEAKER_LEVEL_EVERY and count % SPEAKER_LEVEL_EVERY == 0:
            speech.speaker_db = float(np.percentile(speech.energies, SPEAKER_LEVEL_PERCENTILE))
        if speech.speaker_db is None:
            return True
        return smoothed_level(speech.energies[-self.thresholds.level_frames:]) > \
            speech.speaker_db - self.thresholds.speaker_relative_db

    def _cut(self, index: int) -> list[Event]:
        """max_utterance reached: emit what we have and carry straight on with a new one."""
        assert self._speech is not None
        energies = self._speech.energies
        utterance = self._close(truncated=True, trim=False)
        # A "speech" that never pauses for max_utterance is usually a new steady noise
        # (a fan): lift the floor to the quiet end of what was heard.
        quiet_end = float(np.percentile(energies, self.thresholds.calibration_percentile))
        assert self.floor_db is not None
        self.floor_db = max(self.floor_db, quiet_end)
        self._speech = _Speech([], index + 1, index + 1, index, last_voiced=index)
        return [utterance]

    def _close(self, truncated: bool, trim: bool, early: bool = False) -> Event:
        speech, self._speech = self._speech, None
        assert speech is not None
        self._complete = False
        frames = speech.frames
        if trim:  # keep at most pre_roll of the trailing silence
            frames = frames[: speech.last_loud - speech.start_frame + 1 + self._pre_roll]
        loud = (speech.last_loud - speech.onset_frame + 1)
        if loud < self._min_speech and not truncated:
            return Discarded(self._time(speech.onset_frame), self._time(speech.last_loud + 1))
        pcm = b"".join(frames)
        start = self._time(speech.start_frame)
        return Utterance(pcm, start, start + len(pcm) / 2 / SAMPLE_RATE, truncated, early)

    def _adapt_floor(self, energy: float) -> None:
        assert self.floor_db is not None
        rate = self.thresholds.fall_rate if energy < self.floor_db else self.thresholds.rise_rate
        self.floor_db = max(self.floor_db + rate * (energy - self.floor_db),
                            self.thresholds.floor_min_db)


def utterances(chunks: Iterable[bytes],
               settings: AudioSettings | None = None) -> Iterator[Utterance]:
    """The utterances in a stream of 16 kHz mono s16le chunks (silence and noise bursts dropped)."""
    endpointer = Endpointer(settings)
    for chunk in chunks:
        for event in endpointer.feed(chunk):
            if isinstance(event, Utterance):
                yield event
    for event in endpointer.finish():
        if isinstance(event, Utterance):
            yield event
