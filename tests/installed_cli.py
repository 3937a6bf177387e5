"""The real command line as an installed package runs it, for tests that must not write to the
checkout's models/ folder: no checkout (models go to $XDG_DATA_HOME/voice-skill/models), the
system-wide folder moved under SYSTEM_DATA, and the recommended model replaced by a catalog
entry given as JSON (an archive a test serves on 127.0.0.1), or '-' for the real one.

    python tests/installed_cli.py SYSTEM_DATA MODEL_JSON|- [voice-skill arguments...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from voice_skill import paths
from voice_skill.asr import models


def main(argv: list[str]) -> int:
    """Patch the three places, then run voice-skill with the remaining arguments."""
    system, model, *args = argv
    paths.checkout = lambda: None
    paths.SYSTEM_DATA = Path(system)
    if model != "-":
        info = models.ModelInfo(**json.loads(model))
        models.CATALOG = (info, *models.CATALOG)
        models.RECOMMENDED = info.name
    from voice_skill.cli.main import main as voice_skill

    return voice_skill(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
