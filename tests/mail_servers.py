"""A private, real IMAP server for tests: Debian's dovecot on a free loopback port.

Everything it writes (config, self-signed certificate, runtime sockets, log, maildirs) lives in
one throwaway directory; the system's dovecot service, if any, is never used. Each test takes
its own user (``new_mailbox``), so one server serves a whole module.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STARTUP_SECONDS = 20.0
PASSWORD = "imap-test-password"
USERS_PER_SERVER = 300  # dovecot may miss a passwd-file change within the same second: made up front

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = gogaek-test-{port}
protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {first_uid}
first_valid_gid = {first_gid}
{mail_owner}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
  # No growing delay for 127.0.0.1 after the tests' deliberate wrong passwords.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  chroot =
}}
"""


def dovecot_binary() -> str:
    """The dovecot binary, or a skip (a failure under CI=true: there the test must run)."""
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd; scripts/setup.sh test does it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _self_signed_certificate(root: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _users_and_owner(root: Path) -> dict[str, str]:
    """As root, dovecot refuses root for its login process and for mail access: those use
    unprivileged system users, and the maildirs belong to ``nobody``. Otherwise all is ours."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(me.pw_gid).gr_name
        return {
            "internal_user": me.pw_name, "internal_group": group, "login_user": me.pw_name,
            "first_uid": str(me.pw_uid), "first_gid": str(me.pw_gid), "mail_owner": "",
        }  # fmt: skip
    nobody = pwd.getpwnam("nobody")
    login_user = "dovenull" if _user_exists("dovenull") else "nobody"
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    return {
        "internal_user": "root", "internal_group": "root", "login_user": login_user,
        "first_uid": "1", "first_gid": "1",
        "mail_owner": f"mail_uid = {nobody.pw_uid}\nmail_gid = {nobody.pw_gid}",
    }  # fmt: skip


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class ImapAccount:
    """One user's mailbox on the test server, with a separate client to look at it as a human would."""

    server: DovecotServer
    username: str
    password: str

    def imap_settings(self, **overrides: object) -> dict[str, object]:
        """The Settings fields that point the poller at this mailbox (IMAPS, our CA trusted)."""
        values: dict[str, object] = {
            "imap_host": "127.0.0.1",
            "imap_port": self.server.port,
            "imap_ssl": True,
            "imap_ca_file": self.server.ca_file,
            "imap_username": self.username,
            "imap_password": self.password,
        }
        values.update(overrides)
        return values

    @contextlib.contextmanager
    def client(self, folder: str | None = "INBOX") -> Iterator[imaplib.IMAP4_SSL]:
        """A logged-in imaplib client (folder selected), logged out and closed afterwards."""
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        connection = imaplib.IMAP4_SSL("127.0.0.1", self.server.port, ssl_context=context, timeout=30)
        try:
            connection.login(self.username, self.password)
            if folder is not None:
                connection.create(folder)  # NO when it exists; the select below is what counts
                typ, data = connection.select(folder)
                assert typ == "OK", data
            yield connection
        finally:
            connection.logout()

    def deliver(self, raw: bytes, *, flags: str = "", folder: str = "INBOX") -> int:
        """APPENDs the exact bytes (use CRLF line ends, as on the wire); returns the new UID."""
        with self.client(folder=None) as connection:
            connection.create(folder)
            typ, data = connection.append(folder, f"({flags})" if flags else None, None, raw)
        assert typ == "OK", data
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] if isinstance(data[0], bytes) else b"")
        assert match, data
        return int(match.group(1))

    def messages(self, folder: str = "INBOX") -> dict[int, tuple[frozenset[str], bytes]]:
        """UID -> (flags, exact bytes) of every message in the folder, read without setting \\Seen."""
        with self.client(folder) as connection:
            typ, data = connection.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        assert typ == "OK", data
        found: dict[int, tuple[frozenset[str], bytes]] = {}
        for item in data:
            if isinstance(item, tuple):
                head = item[0].decode()
                uid = re.search(r"UID (\d+)", head)
                flags = re.search(r"FLAGS \(([^)]*)\)", head)
                assert uid and flags, head
                found[int(uid.group(1))] = (frozenset(flags.group(1).split()) - {"\\Recent"}, item[1])
        return found


class DovecotServer:
    """A running dovecot: IMAPS on ``port``, plain IMAP with STARTTLS on ``plain_port``."""

    def __init__(self, root: Path, binary: str) -> None:
        self.root = root
        self.ca_file = root / "cert.pem"
        self.port = _free_port()
        self.plain_port = _free_port()
        (root / "mail").mkdir()
        self._users = [f"user-{n}-{uuid.uuid4().hex[:6]}" for n in range(USERS_PER_SERVER)]
        (root / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{PASSWORD}::::{root}/mail/{name}\n" for name in self._users)
        )
        _self_signed_certificate(root)
        config = _CONFIG.format(root=root, port=self.port, plain_port=self.plain_port, **_users_and_owner(root))
        (root / "dovecot.conf").write_text(config)
        self.output = (root / "dovecot.out").open("wb")
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(root / "dovecot.conf")],
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with everything it spawned
        )

    def log(self) -> str:
        parts = [self.root / "dovecot.out", self.root / "dovecot.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def wait_until_ready(self) -> None:
        """Both ports accept connections (bounded); a dovecot that exits fails with its log."""
        deadline = time.monotonic() + STARTUP_SECONDS
        pending = {self.port, self.plain_port}
        while pending:
            if self.process.poll() is not None:
                raise AssertionError(f"dovecot exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"dovecot did not listen on {pending}:\n{self.log()}")
            for port in list(pending):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    pending.discard(port)
            time.sleep(0.05)

    def new_mailbox(self) -> ImapAccount:
        """A user no test has used yet, so tests never share mail."""
        return ImapAccount(self, self._users.pop(0), PASSWORD)

    def stop(self) -> None:
        """SIGTERM to the master, then SIGKILL to whatever of its process group is left."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.output.close()


@contextlib.contextmanager
def running_dovecot() -> Iterator[DovecotServer]:
    """Starts a private dovecot and always stops it (and removes its directory), even on failure."""
    binary = dovecot_binary()
    # Not pytest's tmp_path: that is 0700, and as root the maildirs are reached as ``nobody``.
    root = Path(tempfile.mkdtemp(prefix="gogaek-dovecot-"))
    root.chmod(0o711)
    server: DovecotServer | None = None
    try:
        server = DovecotServer(root, binary)
        server.wait_until_ready()
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    """One private dovecot per test module; import this fixture into the module that uses it."""
    with running_dovecot() as server:
        yield server
