"""The shell scripts parse: `bash -n` reads a script without running any of it."""

import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.mark.parametrize("name", ["pi_qemu.sh", "setup.sh"])
def test_script_syntax(name: str) -> None:
    result = subprocess.run(["bash", "-n", str(SCRIPTS / name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
