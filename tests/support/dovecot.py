"""A private Dovecot (IMAP) for tests: its own configuration, mail, state and log under a temp
directory, listening on free 127.0.0.1 ports (never the system Dovecot, which stays stopped).

One listener speaks plain IMAP and offers STARTTLS, a second one is implicit TLS (IMAPS); both use
a self-signed certificate made with openssl (`Dovecot.tls_context()` trusts it). Users live in a
passwd-file with plain-text passwords; mail is sdbox under `<directory>/mail/<user>`.

    server = Dovecot(tmp_path)
    await server.start()
    server.add_user("alice", "secret")
    await server.append("alice", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")
    server.reset_folder("alice")          # the folder is emptied and gets a new UIDVALIDITY
    await server.stop(); await server.start()   # same ports
    await server.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Iterable

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
OPENSSL = shutil.which("openssl")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _live_members(pgid: int) -> list[int]:
    """Processes of the group that still run (zombies excluded: the reparented ones wait for init,
    which may reap them only after a while, but they hold no socket)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


class Dovecot:
    def __init__(self, directory: Path, binary: str | None = DOVECOT) -> None:
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install -y dovecot-imapd; scripts/services.sh)")
        self.binary = binary
        self.doveadm = DOVEADM
        self.directory = Path(directory)
        self.port = free_port()
        self.tls_port = free_port()
        self.host = "127.0.0.1"
        self.process: subprocess.Popen | None = None
        self.log_path = self.directory / "dovecot.log"
        self.config_path = self.directory / "dovecot.conf"
        self.passwd_dir = self.directory / "users"   # one passwd-file per user (see add_user)
        self.mail_root = self.directory / "mail"
        self.cert_path = self.directory / "cert.pem"
        self._users: dict[str, str] = {}
        # as root the mail belongs to the dovecot user and logins run as dovenull (Debian's users);
        # unprivileged, everything runs as whoever runs the tests
        if os.geteuid() == 0:
            self._mail_user = pwd.getpwnam("dovecot")
            self._login_user = "dovenull"
        else:
            self._mail_user = pwd.getpwuid(os.geteuid())
            self._login_user = self._mail_user.pw_name
        self._prepare()

    # ------------------------------------------------------------------ configuration

    def _prepare(self) -> None:
        for sub in ("run", "state", "mail", "users"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        # the mail user must reach its mail through the temp directory
        self.directory.chmod(0o755)
        os.chown(self.mail_root, self._mail_user.pw_uid, self._mail_user.pw_gid)
        self._make_certificate()
        self.config_path.write_text(self._config())

    def _make_certificate(self) -> None:
        if OPENSSL is None:
            raise RuntimeError("openssl is needed for the test Dovecot's certificate")
        key = self.directory / "key.pem"
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(self.cert_path)],
            check=True, capture_output=True,
        )
        key.chmod(0o600)

    def _config(self) -> str:
        d = self.directory
        uid = self._mail_user.pw_uid
        chroot = "" if os.geteuid() == 0 else "\n  chroot ="
        return f"""\
# throwaway configuration for tests (tests/support/dovecot.py)
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = switchboard-test-{self.port}
log_path = {self.log_path}
info_log_path = {self.log_path}
default_internal_user = {self._mail_user.pw_name}
default_internal_group = {self._group_name()}
default_login_user = {self._login_user}
first_valid_uid = {min(100, uid)}
ssl = yes
ssl_cert = <{self.cert_path}
ssl_key = <{d}/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# wrong-password tests must not wait out the default 2 s failure delay
auth_failure_delay = 0
mail_location = sdbox:{self.mail_root}/%u
mail_max_userip_connections = 50
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd_dir}/%u
  default_fields = uid={uid} gid={self._mail_user.pw_gid} home={self.mail_root}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}{chroot}
}}
service anvil {{{chroot}
  # no anvil-auth-penalty socket: auth penalises nobody (Dovecot's documented switch)
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
}}
"""

    def _group_name(self) -> str:
        return grp.getgrgid(self._mail_user.pw_gid).gr_name

    # ------------------------------------------------------------------ users and mail

    def add_user(self, name: str, password: str) -> None:
        """Add a login, no restart needed. Each user has a passwd-file of its own: Dovecot re-reads a
        passwd-file only when its mtime changes, so users added to one shared file within the same
        second were not found."""
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError("user names are letters, digits, '-', '_' and '.'")
        if ":" in password or "\n" in password:
            raise ValueError("passwords may not contain ':' or newlines")
        self._users[name] = password
        (self.passwd_dir / name).write_text(f"{name}:{password}::::::\n")

    async def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver one message to `folder` (created when missing) with an IMAP APPEND."""
        await self.append_many(user, [raw], folder)

    async def append_many(self, user: str, messages: Iterable[bytes], folder: str = "INBOX") -> None:
        """Deliver messages in order over one IMAP connection (UIDs follow the order)."""
        await asyncio.to_thread(self._append_sync, user, list(messages), folder)

    def _append_sync(self, user: str, messages: list[bytes], folder: str) -> None:
        with imaplib.IMAP4(self.host, self.port, timeout=10) as imap:
            imap.login(user, self._users[user])
            if folder.upper() != "INBOX":
                imap.create(folder)   # NO [ALREADYEXISTS] when it exists: fine
            for raw in messages:
                status, detail = imap.append(folder, None, None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND to {user}/{folder} failed: {detail}")
            imap.logout()

    def folder_path(self, user: str, folder: str = "INBOX") -> Path:
        return self.mail_root / user / "mailboxes" / folder

    def reset_folder(self, user: str, folder: str = "INBOX") -> None:
        """Empty the folder and give it a new UIDVALIDITY, as a server does when it rebuilds one:
        its storage is removed (Dovecot re-creates it on next access, with a UIDVALIDITY from the
        user's dovecot-uidvalidity counter, so the value never repeats) and the user's sessions are
        disconnected (doveadm kick; a session left on the removed folder would see errors)."""
        shutil.rmtree(self.folder_path(user, folder), ignore_errors=True)
        if self.process is not None:
            kicked = subprocess.run([self.doveadm, "-c", str(self.config_path), "kick", user],
                                    capture_output=True, text=True, timeout=10)
            if kicked.returncode not in (0, 68):   # 68 (EX_NOUSER): nobody was connected
                raise RuntimeError(f"doveadm kick {user} failed: {kicked.stderr or kicked.stdout}")

    async def uid_validity(self, user: str, folder: str = "INBOX") -> int:
        def status() -> int:
            with imaplib.IMAP4(self.host, self.port, timeout=10) as imap:
                imap.login(user, self._users[user])
                _, data = imap.status(folder, "(UIDVALIDITY)")
                imap.logout()
            return int(data[0].split(b"UIDVALIDITY ")[1].rstrip(b")"))
        return await asyncio.to_thread(status)

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        context = ssl.create_default_context(cafile=str(self.cert_path))
        return context

    # ------------------------------------------------------------------ process

    async def start(self) -> None:
        assert self.process is None, "already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,   # its own process group: stop() ends the sessions too
            )
        try:
            await asyncio.wait_for(self._until_greeting(), START_TIMEOUT)
        except BaseException:
            self._kill()
            raise RuntimeError(f"dovecot did not start; its log:\n{self.log()}")

    async def _until_greeting(self) -> None:
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited ({self.process.returncode})")
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    if (await reader.readline()).startswith(b"* OK"):
                        return
                finally:
                    writer.close()
            except OSError:
                pass
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop the server and every session it runs: clients see their connections close and the
        ports are free again. (Dovecot's master exits on SIGTERM but leaves running imap session
        processes alive, IDLE ones included, so the rest of its process group is ended too.)"""
        if self.process is None:
            return
        process, self.process = self.process, None
        self._signal_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            process.wait()
        self._signal_group(process.pid, signal.SIGTERM)   # what the master left running
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT
        while _live_members(process.pid):
            if asyncio.get_running_loop().time() > deadline:
                self._signal_group(process.pid, signal.SIGKILL)
            await asyncio.sleep(0.02)
        await asyncio.wait_for(self._until_refused(), STOP_TIMEOUT)

    def pause(self) -> None:
        """SIGSTOP every Dovecot process: connections stay open and nothing answers (a hung server)."""
        assert self.process is not None
        self._signal_group(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self._signal_group(self.process.pid, signal.SIGCONT)

    @staticmethod
    def _signal_group(pgid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)

    async def _until_refused(self) -> None:
        while True:
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
                writer.close()
            except OSError:
                return
            await asyncio.sleep(0.02)

    def _kill(self) -> None:
        if self.process is not None:
            self._signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"

    async def close(self) -> None:
        await self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
