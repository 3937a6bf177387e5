#!/usr/bin/env bash
# Set up everything voice-skill needs on Debian / Raspberry Pi OS, once; later runs are quick.
#   scripts/setup.sh run    what the skill needs (speech engines, audio libraries)
#   scripts/setup.sh test   that plus what the test suite needs (sox, PulseAudio, flite, CMU
#                           sphinxtrain for acoustic adaptation, pipx, systemd-analyze, test models)
# Debian packages are installed when run as root or with sudo; otherwise a clear message
# says which are missing and the command to install them.
set -euo pipefail

purpose=${1:-run}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

# libatomic1: the aarch64 (Raspberry Pi) libvosk.so links against it; without it `import vosk`
# fails on the Pi (deploy/raspberry-pi.md).
run_packages=(python3-venv python3-dev espeak-ng libespeak-ng1 libportaudio2 libasound2-plugins alsa-utils
              libatomic1)
# pipx and systemd (for systemd-analyze): tests/test_install.py and tests/test_service.py.
test_packages=(sox libsox-fmt-all pulseaudio pulseaudio-utils flite sphinxtrain sphinxbase-utils pocketsphinx
               pocketsphinx-testdata pipx systemd)
packages=("${run_packages[@]}")
[ "$purpose" = test ] && packages+=("${test_packages[@]}")

say() { printf 'setup: %s\n' "$*" >&2; }

missing_packages() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    local p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

install_debian_packages() {
    local missing
    missing=$(missing_packages | tr '\n' ' ')
    [ -z "${missing// /}" ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            say "missing Debian packages: $missing"
            say "install them with: sudo apt-get install -y $missing"
            [ "$purpose" = test ] && exit 1
            return 0
        fi
    fi
    say "installing Debian packages: $missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

check_python() {
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        say "Python 3.11 or newer is needed (found: $(python3 --version 2>&1))"
        exit 1
    fi
}

install_python_packages() {
    local extra="" stamp="$venv/.installed-$purpose"
    [ "$purpose" = test ] && extra="[test]"
    # Reinstall only when the dependency list changed since the last successful install.
    local want
    want=$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/voice-skill" ]; then
        return 0
    fi
    [ -x "$venv/bin/python" ] || { say "creating $venv"; python3 -m venv "$venv"; }
    say "installing Python packages (first run only; the test models are large)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root$extra"
    echo "$want" > "$stamp"
}

install_debian_packages
check_python
install_python_packages
