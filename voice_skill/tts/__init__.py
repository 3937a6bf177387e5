"""Speech out: speakers (a device, a WAV file, captions only) and the isolated speech worker."""
