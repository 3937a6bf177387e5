"""Speech recognition: one module per engine behind the `base.Recognizer` protocol, chosen by
`registry.open_recognizer`; `lexicon` builds their vocabularies, `models` keeps Vosk models."""
