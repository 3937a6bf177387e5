"""Audio: one PCM format (16 kHz mono s16le) and its conversions, WAV and raw input, devices,
the endpointer and noise suppression."""
