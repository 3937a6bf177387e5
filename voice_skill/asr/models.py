"""Speech-model store: the catalog of Vosk models, and a resumable, verified, atomic installer.

`download()` fetches an archive into `models/NAME.zip.part` (resuming with an HTTP Range
request), checks its exact size and checksums, unpacks it into a hidden staging folder beside
the target, checks that it looks like a Vosk model and only then renames it into place, so a
model folder under models/ is either complete or absent.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from pathlib import Path, PurePosixPath
from typing import TextIO

from .. import paths
from ..errors import ModelStoreError, ModelUnreachableError

MIRROR_ENV = "VOICE_SKILL_MODEL_MIRROR"
"""Environment variable: base URL of a local mirror holding the official archive files."""

CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 30.0
"""A connection silent for this long counts as cut; the partial download is kept (seconds).
Also the default for connecting; the first-run offer connects with a shorter limit."""

Progress = Callable[[int, int], None]
"""Called with (bytes downloaded so far, archive size in bytes)."""

Say = Callable[[str], None]
"""Receives one status line for a person (already installed, restarting, installed)."""


@dataclass(frozen=True)
class ModelInfo:
    """One downloadable model: where it is and how to recognise the genuine archive."""

    name: str
    """Folder name inside the archive and under models/, e.g. vosk-model-small-en-us-0.15."""
    url: str
    """Official address of the zip archive."""
    size_bytes: int
    """Exact size of the zip archive (bytes)."""
    sha256: str | None
    """SHA-256 of the archive (hex), or None where the publisher gives none."""
    language: str
    """Language tag as the publisher lists it, e.g. en-us."""
    description: str
    """One line shown by `models list`."""
    source: str
    """Where the URL, size and checksums were read."""
    md5: str | None = None
    """MD5 of the archive (hex) as the publisher's model list gives it, or None."""


# Every fact below was read, not measured here (the Internet is unreachable from this machine):
# - url, size_bytes and md5 are the "url", "size" and "md5" fields of alphacephei's model list
#   https://alphacephei.com/vosk/models/model-list.json -- the list vosk/__init__.py fetches as
#   MODEL_LIST_URL (it reads "name", "lang", "type", "obsolete" from it). Read from stored copies of
#   that list's entries quoted in public repositories, found with the code search.
# - descriptions and the rounded sizes (40M, 128M) are from the official models page
#   https://alphacephei.com/vosk/models (a stored copy of its source table).
# - alphacephei publishes no SHA-256 anywhere we could read, so sha256 is None and the archive is
#   verified by its exact size and the published MD5. MD5 catches corruption and truncation, but
#   unlike SHA-256 it is not proof against a deliberately forged archive.
CATALOG: tuple[ModelInfo, ...] = (
    ModelInfo(
        name="vosk-model-small-en-us-0.15",
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        # model-list.json entry: "size": 41205931, "size_text": "39.3MiB",
        # "md5": "09ab50ccd62b674cbaa231b825f9c1cb" (the same values quoted by several independent
        # repositories); the models page lists it as 40M.
        size_bytes=41205931,
        sha256=None,
        md5="09ab50ccd62b674cbaa231b825f9c1cb",
        language="en-us",
        description="Lightweight wideband model for Android and RPi",
        source="alphacephei model-list.json (url, size, md5); alphacephei.com/vosk/models",
    ),
    ModelInfo(
        name="vosk-model-en-us-0.22-lgraph",
        url="https://alphacephei.com/vosk/models/vosk-model-en-us-0.22-lgraph.zip",
        # model-list.json entry: "size": 130557655, "size_text": "124.5MiB", "type": "big-lgraph",
        # "md5": "2df36985f8ed8eb7b78476cadcdab48f"; the models page lists it as 128M.
        size_bytes=130557655,
        sha256=None,
        md5="2df36985f8ed8eb7b78476cadcdab48f",
        language="en-us",
        description="Big US English model with dynamic graph",
        source="alphacephei model-list.json (url, size, md5); alphacephei.com/vosk/models",
    ),
)


RECOMMENDED = "vosk-model-small-en-us-0.15"
"""The model offered on first run and named in hints: English, small, quick on a Raspberry Pi."""


def recommended() -> ModelInfo:
    """The catalog entry of the recommended model."""
    return find_model(RECOMMENDED, CATALOG)


@dataclass(frozen=True)
class ModelsFolder:
    """Where models are installed and looked for, and why there."""

    path: Path
    """The folder holding one sub-folder per model."""
    origin: str
    """Why this folder: given, checkout, per-user or system."""
    others: tuple[Path, ...] = ()
    """Other folders that were searched and held no model."""

    def describe(self) -> str:
        """One line for a person: the folder's kind, and the other places searched."""
        kinds = {"given": "given with --models-dir", "checkout": "the checkout's models/",
                 "per-user": "the per-user data folder", "system": "the system-wide folder"}
        searched = f"; also searched: {', '.join(map(str, self.others))}" if self.others else ""
        return f"{kinds[self.origin]}{searched}"


def _runs_as_service() -> bool:
    """True under a systemd unit whose StateDirectory is the system data folder."""
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return bool(state) and Path(state) == paths.SYSTEM_DATA


def models_folder(override: Path | str | None = None) -> ModelsFolder:
    """Where models live: `override`; a checkout's models/; else the first of the per-user data
    folder and the system folder (/var/lib/voice-skill/models) that holds a model, else the
    system folder for the service and the per-user folder for everyone else."""
    if override is not None:
        return ModelsFolder(Path(override), "given")
    root = paths.checkout()
    if root is not None:
        return ModelsFolder(root / "models", "checkout")
    user, system = paths.data_dir() / "models", paths.SYSTEM_DATA / "models"
    if installed_models(user):
        return ModelsFolder(user, "per-user", (system,))
    if installed_models(system) or _runs_as_service():
        return ModelsFolder(system, "system", (user,))
    return ModelsFolder(user, "per-user", (system,))


def models_dir(override: Path | str | None = None) -> Path:
    """The folder models are installed in and read from (see `models_folder`)."""
    return models_folder(override).path


def looks_like_vosk_model(path: Path) -> bool:
    """True if `path` holds a Vosk model: an acoustic model and a feature/model configuration."""
    # alphacephei (vosk-api issue 1460): final.mdl is always in am/, except in old-layout models
    # that keep it (and mfcc.conf) at the top.
    acoustic = (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()
    configs = (path / "conf" / "model.conf", path / "conf" / "mfcc.conf", path / "mfcc.conf")
    return acoustic and any(config.is_file() for config in configs)


def installed_models(directory: Path) -> list[Path]:
    """Complete model folders in `directory`, sorted by name (partial downloads are ignored)."""
    if not directory.is_dir():
        return []
    found = (p for p in directory.iterdir() if not p.name.startswith(".") and p.is_dir())
    return sorted((p for p in found if looks_like_vosk_model(p)), key=lambda p: p.name)


def find_model(name: str, catalog: tuple[ModelInfo, ...] = CATALOG) -> ModelInfo:
    """The catalog entry called `name`; ModelStoreError listing the known names otherwise."""
    for info in catalog:
        if info.name == name:
            return info
    known = ", ".join(info.name for info in catalog)
    raise ModelStoreError(f"unknown model {name!r}; known models: {known}")


def resolve_url(info: ModelInfo, url: str | None = None) -> str:
    """Where to fetch `info`: `url` if given, else the mirror in $VOICE_SKILL_MODEL_MIRROR, else
    the official address."""
    if url:
        return url
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror:
        # A mirror holds the official files under their official names.
        return mirror.rstrip("/") + "/" + info.url.rsplit("/", 1)[-1]
    return info.url


def format_size(size_bytes: int) -> str:
    """Bytes as mebibytes with one decimal, the way alphacephei's list writes them ("39.3 MiB")."""
    return f"{size_bytes / 2**20:.1f} MiB"


def format_catalog(directory: Path, catalog: tuple[ModelInfo, ...] = CATALOG) -> str:
    """What `models list` prints: each catalog model with size, language and whether installed."""
    installed = {p.name for p in installed_models(directory)}
    width = max(len(info.name) for info in catalog)
    lines = [f"Speech models (folder: {directory})"]
    for info in catalog:
        state = "installed" if info.name in installed else "not installed"
        size = format_size(info.size_bytes)
        lines.append(f"  {info.name:<{width}}  {size:>10}  {info.language:<6}  {state:<13}  "
                     f"{info.description}")
    others = sorted(installed - {info.name for info in catalog})
    if others:
        lines.append("Also installed: " + ", ".join(others))
    lines.append("Install one with: voice-skill models download NAME")
    return "\n".join(lines)


def render_bar(label: str, done: int, total: int, width: int = 30) -> str:
    """One progress line: label, a bar of `width` cells, percent and MiB done of total."""
    fraction = min(done / total, 1.0) if total > 0 else 1.0
    filled = int(fraction * width)
    bar = "#" * filled + "." * (width - filled)
    return (f"{label} [{bar}] {fraction * 100:3.0f}% "
            f"{done / 2**20:.1f}/{total / 2**20:.1f} MiB")


class TextProgress:
    """A text progress bar on a stream (stderr by default): redrawn in place on a terminal at
    most every 0.2 s, elsewhere (logs, CI) one line per 10 %."""

    # Our own few lines rather than tqdm, which is only an undeclared dependency of vosk here.

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self._last_draw = 0.0
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        finished = done >= total
        if self.interactive:
            now = time.monotonic()
            if not finished and now - self._last_draw < 0.2:
                return
            self._last_draw = now
            line = render_bar(self.label, done, total)
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            tenth = 10 if finished else (done * 10 // total if total else 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(render_bar(self.label, done, total) + "\n")
        self.stream.flush()


def by_hand(info: ModelInfo, directory: Path) -> str:
    """The sentence telling a person how to install `info` without this downloader."""
    return (f"To install it by hand: download {info.url} on a machine with Internet access, "
            f"unzip it into {directory} (so that {directory / info.name}/am/final.mdl exists), "
            f"or point VOSK_MODEL_PATH or --model at an unzipped Vosk model folder")


def _reason(error: BaseException) -> str:
    """Short words for why a connection failed."""
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, socket.gaierror):
        return "host name not found: offline or DNS failure"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, TimeoutError):
        return "timed out"
    return str(getattr(cause, "strerror", None) or cause)


class _PatientReads:
    """Mixed into http.client's connections: connect within the request's timeout, then wait up
    to TIMEOUT_SECONDS for each read, so a short connect limit never cuts a slow download."""

    sock: socket.socket

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(TIMEOUT_SECONDS)


class _Connection(_PatientReads, http.client.HTTPConnection):
    pass


class _SecureConnection(_PatientReads, http.client.HTTPSConnection):
    pass


class _Handler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> HTTPResponse:
        return self.do_open(_Connection, req)


class _SecureHandler(urllib.request.HTTPSHandler):
    # https_open passes its TLS context on; only the connection class is ours.
    def do_open(self, http_class: object, req: urllib.request.Request,
                **kwargs: object) -> HTTPResponse:
        return super().do_open(_SecureConnection, req, **kwargs)


def _open(url: str, offset: int, connect_timeout: float = TIMEOUT_SECONDS) -> HTTPResponse:
    """Start a GET of `url`, asking for the bytes from `offset` on when resuming."""
    headers = {"User-Agent": "voice-skill"} | ({"Range": f"bytes={offset}-"} if offset else {})
    request = urllib.request.Request(url, headers=headers)
    # A fresh opener each time: it reads the proxy settings from the environment, as urlopen's.
    opener = urllib.request.build_opener(_Handler, _SecureHandler)
    response: HTTPResponse = opener.open(request, timeout=connect_timeout)
    return response


def _resume_offset(response: HTTPResponse, offset: int, total: int, say: Say) -> int:
    """Where the body of `response` starts in the archive: `offset` if resumed, 0 if not."""
    if offset and response.status == 206:
        actual = response.headers.get("Content-Range", "").strip()
        if actual != f"bytes {offset}-{total - 1}/{total}":
            raise ModelStoreError(f"{response.url}: asked to resume at byte {offset} of {total}, "
                                  f"server answered Content-Range {actual!r}")
        return offset
    if offset:
        say("the server does not support resuming; downloading from the start")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) != total:
        raise ModelStoreError(f"{response.url}: server offers {length} bytes, but the archive "
                              f"is {total} bytes; wrong file or mirror")
    return 0


def _receive(response: HTTPResponse, part: Path, start: int, total: int,
             progress: Progress) -> tuple[int, str]:
    """Write the body to `part` from `start` on; return bytes now held and why reading stopped."""
    done, why = start, "connection closed early"
    with part.open("r+b" if start else "wb") as out:
        out.truncate(start)
        out.seek(start)
        progress(done, total)
        while done <= total:
            try:
                chunk = response.read(CHUNK_BYTES)
            except (OSError, HTTPException) as error:  # reset, timeout, IncompleteRead
                why = _reason(error) if isinstance(error, OSError) else type(error).__name__
                break
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            progress(min(done, total), total)
    return done, why


def fetch(info: ModelInfo, source: str, part: Path, directory: Path,
          progress: Progress, say: Say, connect_timeout: float = TIMEOUT_SECONDS) -> None:
    """Bring `part` to the archive's full size, resuming what it already holds; connecting
    takes at most `connect_timeout` seconds (ModelUnreachableError after that)."""
    total = info.size_bytes
    for _attempt in range(2):  # a second try only after a stale partial was dropped
        offset = part.stat().st_size if part.exists() else 0
        if offset > total:
            part.unlink()
            offset = 0
        if offset == total:
            return
        try:
            response = _open(source, offset, connect_timeout)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 416 and offset:  # our partial does not fit the server's file
                part.unlink()
                continue
            raise ModelStoreError(f"{source}: server answered HTTP {error.code} {error.reason}. "
                                  + by_hand(info, directory)) from None
        except (urllib.error.URLError, OSError) as error:
            raise ModelUnreachableError(f"cannot download {info.name} from {source} "
                                  f"({_reason(error)}). " + by_hand(info, directory)) from None
        try:
            with response:
                start = _resume_offset(response, offset, total, say)
                done, why = _receive(response, part, start, total, progress)
        except OSError as error:  # reading errors are caught inside; this is our own disk
            raise ModelStoreError(f"{part}: cannot write the download ({error.strerror})") from None
        if done < total:
            raise ModelStoreError(f"download of {info.name} interrupted at {done} of {total} bytes "
                                  f"({why}); run the same command again to resume")
        return
    raise ModelStoreError(f"{source}: server refused to resume and to restart the download")


def verify_archive(archive: Path, info: ModelInfo) -> None:
    """Check size and checksums; on a mismatch delete the archive and raise ModelStoreError."""
    size = archive.stat().st_size
    if size != info.size_bytes:
        archive.unlink()
        raise ModelStoreError(f"{info.name}: downloaded {size} bytes, expected {info.size_bytes};"
                              f" the download was deleted, run the command again")
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with archive.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            md5.update(chunk)
            sha256.update(chunk)
    for algorithm, expected, actual in (("sha256", info.sha256, sha256.hexdigest()),
                                        ("md5", info.md5, md5.hexdigest())):
        if expected is not None and expected.lower() != actual:
            archive.unlink()
            raise ModelStoreError(f"{info.name}: {algorithm} checksum mismatch (expected "
                                  f"{expected}, got {actual}); the corrupt download was deleted")


def safe_members(archive: zipfile.ZipFile, origin: str) -> list[zipfile.ZipInfo]:
    """All entries of `archive`, or ModelStoreError naming the first that could escape the folder
    it is unpacked into (absolute path, '..', drive letter, backslash, symbolic link)."""
    members = archive.infolist()
    for member in members:
        name = member.filename
        parts = PurePosixPath(name).parts
        escapes = (name.startswith("/") or "\\" in name or ".." in parts
                   or (bool(parts) and ":" in parts[0]))
        if escapes:
            raise ModelStoreError(f"{origin}: unsafe entry {name!r} points outside the model "
                                  f"folder; archive rejected")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ModelStoreError(f"{origin}: entry {name!r} is a symbolic link; archive rejected")
    return members


def _model_root(unpacked: Path) -> Path:
    """The model folder inside an unpacked archive: its single top folder, or the archive root."""
    entries = list(unpacked.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not looks_like_vosk_model(unpacked):
        return entries[0]
    return unpacked


def install_archive(archive: Path, target: Path, origin: str) -> None:
    """Unpack `archive` and move the model into `target` in one rename; leave nothing else."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.installing-", dir=target.parent))
    try:
        unpacked = staging / "unpacked"
        unpacked.mkdir()  # made with the usual permissions, unlike mkdtemp's 0700
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked, members=safe_members(zipped, origin))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise ModelStoreError(f"{origin}: not a readable zip archive ({error})") from None
        except OSError as error:
            raise ModelStoreError(f"{target.parent}: cannot unpack the model "
                                  f"({error.strerror})") from None
        root = _model_root(unpacked)
        if not looks_like_vosk_model(root):
            raise ModelStoreError(f"{origin}: the archive holds no Vosk model "
                                  f"(no am/final.mdl with conf/model.conf or mfcc.conf)")
        try:
            os.replace(root, target)
        except OSError as error:
            raise ModelStoreError(f"{target}: cannot move the model into place "
                                  f"({error.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)


def download(info: ModelInfo, directory: Path, progress: Progress | None = None,
             url: str | None = None, *, say: Say | None = None,
             connect_timeout: float = TIMEOUT_SECONDS) -> Path:
    """Install `info` as directory/NAME and return that path; resumable, verified, atomic.

    `url` (or $VOICE_SKILL_MODEL_MIRROR) replaces the official address; `progress` defaults to a
    text bar on stderr and `say` to status lines on stderr. A server not connected within
    `connect_timeout` seconds is ModelUnreachableError; reads may take TIMEOUT_SECONDS each.
    """
    speak = say if say is not None else functools.partial(print, file=sys.stderr)
    if info.sha256 is None and info.md5 is None:
        raise ModelStoreError(f"{info.name}: the catalog gives no checksum; refusing to download")
    target = directory / info.name
    if looks_like_vosk_model(target):
        speak(f"{info.name} is already installed in {target}")
        return target
    if target.exists():
        raise ModelStoreError(f"{target} exists but is not a complete Vosk model; "
                              f"move it away and run the command again")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelStoreError(f"{directory}: cannot create the models folder "
                              f"({error.strerror})") from None
    source = resolve_url(info, url)
    part = directory / f"{info.name}.zip.part"
    fetch(info, source, part, directory, progress or TextProgress(info.name), speak,
          connect_timeout)
    verify_archive(part, info)
    install_archive(part, target, origin=source)
    speak(f"installed {info.name} in {target}")
    return target
