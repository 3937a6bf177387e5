"""python -m voice_skill: the command line (voice_skill.cli)."""

from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
