"""The `pressroom` command's failures, without AWS: every command, run from a folder that is not
the repository, against a missing path, a folder where a file is expected (and the reverse), an
unreadable file, an endpoint where nothing listens, and a folder that is no site. Each must end
with one sentence on stderr naming the problem, a documented exit code, and no traceback.

Tests run as root, which reads a `chmod 000` file anyway, so "unreadable" is made two ways: a
FIFO (neither a file nor a folder: the command refuses it before opening it) in subprocesses,
and, in-process, `Path.read_bytes` patched to raise PermissionError for files named locked.md.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pressroom_dev import cli
from pressroom_dev.cli import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CommandFailed,
    find_project,
    main,
)

REPO = Path(__file__).resolve().parents[2]
GOOD = (
    "---\ntitle: 港口吞吐量创新高\ndate: 2026-03-20 16:12:47 +0800\ncategories: port\n---\n正文\n"
)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def test_the_exit_codes_are_distinct() -> None:
    codes = [
        EXIT_OK,
        EXIT_PROBLEMS,
        EXIT_USAGE,
        EXIT_UNREACHABLE,
        EXIT_NOT_FOUND,
        EXIT_INTERNAL,
        EXIT_INTERRUPTED,
    ]
    assert codes == [0, 1, 2, 3, 4, 70, 130]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Workspace:
    """A working folder outside the repository, with the paths the cases name."""

    cwd: Path
    dead: str  # an AWS or site endpoint where nothing listens
    busy: int  # a port something listens on

    def values(self) -> dict[str, str]:
        return {
            "repo": str(REPO),
            "cwd": str(self.cwd.resolve()),
            "post": "2026-03-20-port.md",
            "posts": "posts",
            "empty": "empty",
            "fifo": "pipe.md",
            "locked": "locked.md",
            "missing": "missing.md",
            "dead": self.dead,
            "busy": str(self.busy),
        }


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    cwd = tmp_path / "work"
    (cwd / "posts").mkdir(parents=True)
    (cwd / "empty").mkdir()
    (cwd / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    (cwd / "posts" / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    (cwd / "locked.md").write_text(GOOD, encoding="utf-8")
    os.mkfifo(cwd / "pipe.md")
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(cli.PROJECT_ENV, raising=False)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield Workspace(cwd, f"http://127.0.0.1:{free_port()}", listener.getsockname()[1])


def lock_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading any file named locked.md fails as a file without read permission would."""
    read_bytes = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "locked.md":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)


@dataclass(frozen=True)
class Case:
    command: str
    situation: str
    argv: tuple[str, ...]
    code: int
    says: str  # a fragment of the one line on stderr
    env: tuple[tuple[str, str], ...] = ()
    locked: bool = False  # in-process only: locked.md cannot be read

    @property
    def id(self) -> str:
        return f"{self.command}: {self.situation}"


SITE = ("--project", "{repo}")
DEAD_ENDPOINT = ("--endpoint-url", "{dead}")
DEAD_AWS = (("AWS_ENDPOINT_URL", "{dead}"),)
NO_SITE = "no pressroom site in {cwd} or its parents: run inside a site's folder"

CASES = [
    # demo
    Case("demo", "not a site folder", ("demo", "--no-serve"), 2, NO_SITE),
    Case("demo", "missing --posts", ("demo", *SITE, "--posts", "{missing}"), 2, "no such folder"),
    Case("demo", "a file as --posts", ("demo", *SITE, "--posts", "{post}"), 2, "is a file, not"),
    Case(
        "demo",
        "a file as --out",
        ("demo", *SITE, "--posts", "{posts}", "--out", "{post}", "--no-serve"),
        2,
        "--out 2026-03-20-port.md is a file",
    ),
    Case(
        "demo",
        "a folder as --json",
        ("demo", *SITE, "--posts", "{posts}", "--json", "{posts}", "--no-serve"),
        2,
        "--json posts is a folder",
    ),
    Case(
        "demo",
        "an unreadable post",
        ("demo", *SITE, "--posts", ".", "--no-serve"),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    Case(
        "demo",
        "a port in use",
        ("demo", *SITE, "--posts", "{posts}", "--port", "{busy}"),
        2,
        "127.0.0.1:{busy} is already in use",
    ),
    # build
    Case("build", "not a site folder", ("build", "{posts}"), 2, NO_SITE),
    Case("build", "a missing folder", ("build", "{missing}", *SITE), 2, "missing.md: no such"),
    Case("build", "a file as the folder", ("build", "{post}", *SITE), 2, "is a file, not a"),
    Case(
        "build",
        "a file as --out",
        ("build", "{posts}", "--out", "{post}", *SITE),
        2,
        "--out 2026-03-20-port.md is a file",
    ),
    Case(
        "build",
        "an unreadable post",
        ("build", ".", "--out", "site", *SITE),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    # serve
    Case("serve", "not a site folder", ("serve",), 2, NO_SITE),
    Case("serve", "a missing --posts", ("serve", *SITE, "--posts", "{missing}"), 2, "no such"),
    Case("serve", "a file as --watch", ("serve", *SITE, "--watch", "{post}"), 2, "is a file"),
    Case(
        "serve",
        "an unreadable post",
        ("serve", *SITE, "--posts", "."),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    Case(
        "serve",
        "the AWS port in use",
        ("serve", *SITE, "--aws-port", "{busy}"),
        2,
        "127.0.0.1:{busy} is already in use: stop what listens there, or pass another --aws-port",
    ),
    Case(
        "serve",
        "the site port in use",
        ("serve", *SITE, "--aws-port", "0", "--port", "{busy}"),
        2,
        "pass another --port",
    ),
    # status
    Case(
        "status",
        "no server there",
        ("status", "--site-url", "{dead}"),
        3,
        "pressroom serve is not answering on {dead}",
    ),
    Case("status", "not a URL", ("status", "--site-url", "localhost:8000"), 2, "is not a URL"),
    Case(
        "status",
        "an unreachable AWS endpoint",
        ("status", "--stack", "pressroom"),
        3,
        "cannot reach the AWS endpoint {dead}",
        env=DEAD_AWS,
    ),
    # check
    Case("check", "not a site folder", ("check", "{post}"), 2, NO_SITE),
    Case("check", "a missing file", ("check", "{missing}", *SITE), 2, "missing.md: no such file"),
    Case("check", "a FIFO", ("check", "{fifo}", *SITE), 2, "pipe.md is not a regular file"),
    Case(
        "check",
        "an unreadable file",
        ("check", "{locked}", *SITE),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    Case(
        "check",
        "an unreadable file in a folder",
        ("check", ".", *SITE),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    # publish
    Case("publish", "not a site folder", ("publish", "{post}"), 2, NO_SITE),
    Case(
        "publish",
        "a missing file",
        ("publish", "{missing}", *SITE, *DEAD_ENDPOINT),
        2,
        "missing.md: no such file or folder",
    ),
    Case(
        "publish",
        "a missing file after a good one (nothing is sent)",
        ("publish", "{post}", "{missing}", *SITE, *DEAD_ENDPOINT),
        2,
        "missing.md: no such file or folder",
    ),
    Case(
        "publish",
        "a FIFO",
        ("publish", "{fifo}", *SITE, *DEAD_ENDPOINT),
        2,
        "pipe.md is not a regular file",
    ),
    Case(
        "publish",
        "an unreadable file",
        ("publish", "{post}", "{locked}", *SITE, *DEAD_ENDPOINT),
        2,
        "locked.md: permission denied",
        locked=True,
    ),
    Case(
        "publish",
        "an empty folder",
        ("publish", "{empty}", *SITE, *DEAD_ENDPOINT),
        2,
        "nothing to publish: empty holds no files",
    ),
    Case(
        "publish",
        "an unreachable endpoint",
        ("publish", "{post}", *SITE, *DEAD_ENDPOINT),
        3,
        "cannot reach the AWS endpoint {dead}: start `pressroom serve`",
    ),
    Case(
        "publish",
        "an unreachable stack endpoint",
        ("publish", "{post}", *SITE, "--stack", "pressroom"),
        3,
        "cannot reach the AWS endpoint {dead}",
        env=DEAD_AWS,
    ),
    # unpublish
    Case(
        "unpublish",
        "an unreachable endpoint",
        ("unpublish", "{post}", *DEAD_ENDPOINT),
        3,
        "cannot reach the AWS endpoint {dead}",
    ),
    Case(
        "unpublish",
        "an endpoint that is not a URL",
        ("unpublish", "{post}", "--endpoint-url", "127.0.0.1:5000"),
        2,
        "--endpoint-url 127.0.0.1:5000 is not a URL",
    ),
    # redrive
    Case(
        "redrive",
        "an unreachable endpoint",
        ("redrive", *DEAD_ENDPOINT),
        3,
        "cannot reach the AWS endpoint {dead}",
    ),
    # rebuild
    Case("rebuild", "not a site folder", ("rebuild", *DEAD_ENDPOINT), 2, NO_SITE),
    Case(
        "rebuild",
        "an unreachable endpoint",
        ("rebuild", *SITE, *DEAD_ENDPOINT),
        3,
        "cannot reach the AWS endpoint {dead}",
    ),
    Case(
        "rebuild",
        "an unreachable stack endpoint",
        ("rebuild", "--stack", "pressroom"),
        3,
        "cannot reach the AWS endpoint {dead}",
        env=DEAD_AWS,
    ),
]
# These also run as a subprocess, to show that nothing but the sentence reaches the terminal.
IN_SUBPROCESS = {
    "demo: not a site folder",
    "check: a FIFO",
    "publish: a missing file",
    "publish: an unreachable endpoint",
    "status: no server there",
    "serve: the AWS port in use",
    "rebuild: an unreachable endpoint",
}


def expand(text: str, workspace: Workspace) -> str:
    return text.format(**workspace.values())


def assert_one_sentence(stderr: str, case: Case, workspace: Workspace) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"pressroom {case.command}: "), stderr
    assert expand(case.says, workspace) in lines[0]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_failure_is_one_sentence_and_its_exit_code(
    case: Case,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a command run outside the repository in one of the failure situations, when it
    runs, then it exits with the situation's code and stderr is one line naming the problem."""
    for name, value in case.env:
        monkeypatch.setenv(name, expand(value, workspace))
    if case.locked:
        lock_files(monkeypatch)

    code = main([expand(arg, workspace) for arg in case.argv])

    assert code == case.code
    assert_one_sentence(capsys.readouterr().err, case, workspace)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in IN_SUBPROCESS], ids=sorted(IN_SUBPROCESS)
)
def test_no_traceback_reaches_the_terminal(case: Case, workspace: Workspace) -> None:
    """Given the same situations in a separate process, then its whole stderr is the one line,
    and the exit status is the code."""
    env = dict(os.environ) | {name: expand(value, workspace) for name, value in case.env}

    result = subprocess.run(
        [sys.executable, "-m", "pressroom_dev.cli", *(expand(a, workspace) for a in case.argv)],
        cwd=workspace.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == case.code, result.stderr
    assert_one_sentence(result.stderr, case, workspace)


def test_every_command_has_a_case() -> None:
    commands = {case.command for case in CASES}
    assert commands == {
        "demo",
        "build",
        "serve",
        "status",
        "check",
        "publish",
        "unpublish",
        "redrive",
        "rebuild",
    }


def test_a_usage_error_is_argparses_message_and_exit_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given publish with no file, then argparse's usage and error come back as code 2."""
    code = main(["publish"])

    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "the following arguments are required: files" in err


def test_ctrl_c_is_exit_130(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a command interrupted with Ctrl-C, then it says so and exits 130."""

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "check_files", interrupted)

    code = main(["check", "{post}".format(**workspace.values()), *("--project", str(REPO))])

    assert code == 130
    assert capsys.readouterr().err == "pressroom check: interrupted\n"


def test_an_unexpected_error_is_named_as_a_bug_and_debug_shows_where(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a failure nobody anticipated, then it is one line and exit 70; with
    PRESSROOM_DEBUG=1 the traceback is printed too."""

    def broken(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "check_files", broken)
    argv = ["check", "2026-03-20-port.md", "--project", str(REPO)]

    assert main(argv) == 70
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "pressroom check: unexpected error RuntimeError: boom (a bug; PRESSROOM_DEBUG=1 prints "
        "where it happened)"
    ]

    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert main(argv) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err


# -- finding the site ---------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site outside the repository: its template.yaml and templates/, with URLs of its own."""
    folder = tmp_path / "mysite"
    folder.mkdir()
    shutil.copy(REPO / "template.yaml", folder / "template.yaml")
    shutil.copytree(REPO / "templates", folder / "templates")
    config = folder / "templates" / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "permalink: /:categories/:year/:month/:day/:title.html", "permalink: /:title/"
        ),
        encoding="utf-8",
    )
    return folder


def check_here(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_the_site_is_found_in_a_parent_folder(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a post in a folder deep inside a site, when check runs there with a relative
    path, then the site's own site.yaml is used (its permalink) and the path is the cwd's."""
    deep = site / "drafts" / "2026"
    deep.mkdir(parents=True)
    (deep / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(deep)
    monkeypatch.delenv(cli.PROJECT_ENV, raising=False)

    code, out, err = check_here(capsys, "2026-03-20-port.md")

    assert (code, err) == (0, [])
    assert out[0] == "2026-03-20-port.md: ok -> /port/"


def test_pressroom_project_names_the_site(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given PRESSROOM_PROJECT and a folder outside any site, then the variable's site is used
    and relative files are still read from the current folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv(cli.PROJECT_ENV, str(site))

    code, out, _ = check_here(capsys, "2026-03-20-port.md")

    assert code == 0
    assert out[0] == "2026-03-20-port.md: ok -> /port/"


def test_project_option_wins_over_the_variable_and_the_folder(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a cwd inside one site and PRESSROOM_PROJECT naming a folder that is no site, when
    --project names the repository, then the repository's URLs are used."""
    monkeypatch.chdir(site)
    (site / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv(cli.PROJECT_ENV, str(tmp_path))

    code, out, _ = check_here(capsys, "2026-03-20-port.md", "--project", str(REPO))

    assert code == 0
    assert out[0] == "2026-03-20-port.md: ok -> /port/2026/03/20/port.html"


def test_pressroom_project_wins_over_the_folder(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a cwd inside a site and PRESSROOM_PROJECT naming the repository, then the
    repository is used."""
    monkeypatch.chdir(site)
    (site / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv(cli.PROJECT_ENV, str(REPO))

    code, out, _ = check_here(capsys, "2026-03-20-port.md")

    assert code == 0
    assert out[0] == "2026-03-20-port.md: ok -> /port/2026/03/20/port.html"


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("option", "--project {folder} is not a pressroom site: a site's folder holds"),
        ("variable", "PRESSROOM_PROJECT={folder} is not a pressroom site"),
        ("missing option", "--project {folder}/nope: no such folder"),
    ],
)
def test_a_named_folder_that_is_no_site_is_a_usage_error(
    how: str,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given --project or PRESSROOM_PROJECT naming a folder without a site, then exit 2 with
    where the name came from."""
    monkeypatch.chdir(REPO)  # a site is here: it must not be used instead
    monkeypatch.delenv(cli.PROJECT_ENV, raising=False)
    args = ["README.md"]
    if how == "option":
        args += ["--project", str(tmp_path)]
    elif how == "missing option":
        args += ["--project", str(tmp_path / "nope")]
    else:
        monkeypatch.setenv(cli.PROJECT_ENV, str(tmp_path))

    code, out, err = check_here(capsys, *args)

    assert code == 2 and out == []
    assert len(err) == 1 and says.format(folder=tmp_path) in err[0]


def test_find_project_walks_up_and_needs_both_files(tmp_path: Path) -> None:
    """Given a folder with template.yaml only inside a folder with both files, then the search
    from below skips the incomplete one."""
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    (outer / "templates").mkdir(parents=True)
    (outer / "template.yaml").write_text("Resources: {}\n", encoding="utf-8")
    (outer / "templates" / "site.yaml").write_text("title: x\n", encoding="utf-8")
    inner.mkdir()
    (inner / "template.yaml").write_text("Resources: {}\n", encoding="utf-8")

    assert find_project(None, {}, inner) == outer.resolve()
    with pytest.raises(CommandFailed) as failed:
        find_project(None, {}, tmp_path)
    assert failed.value.code == 2
    assert str(failed.value).startswith(f"no pressroom site in {tmp_path.resolve()} or its")


@pytest.mark.parametrize(
    ("site_yaml", "says"),
    [
        ("title: [unclosed\n", "site.yaml is not valid YAML at line 2"),
        ("listing_size: -3\n", "site.yaml is not a valid site configuration: listing_size:"),
        (b"title: \xb8\xdf\n", "site.yaml is not UTF-8 text"),
    ],
    ids=["broken YAML", "invalid value", "not UTF-8"],
)
def test_a_broken_site_yaml_is_named(
    site_yaml: str | bytes,
    says: str,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a site whose site.yaml is broken, then check exits 2 naming the file and why."""
    config = site / "templates" / "site.yaml"
    if isinstance(site_yaml, bytes):
        config.write_bytes(site_yaml)
    else:
        config.write_text(site_yaml, encoding="utf-8")
    (site / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(site)
    monkeypatch.delenv(cli.PROJECT_ENV, raising=False)

    code, _, err = check_here(capsys, "2026-03-20-port.md")

    assert code == 2
    assert len(err) == 1 and says in err[0] and str(config) in err[0]


def test_a_broken_template_yaml_is_named_before_serve_starts(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a site whose template.yaml is not YAML, then serve exits 2 naming it."""
    (site / "template.yaml").write_text("Resources: [\n", encoding="utf-8")
    monkeypatch.chdir(site)
    monkeypatch.delenv(cli.PROJECT_ENV, raising=False)

    code = main(["serve"])

    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [f"pressroom serve: {site / 'template.yaml'} is not valid YAML at line 2: fix it"]
