"""A private redis-server process that a test may kill and start again on the same port (never
the system Redis on 6379)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server process that a test may kill and start again on the same port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = _free_port()
        assert self.port != 6379
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        assert self.process is None, "already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            await asyncio.wait_for(self._until_pong(), 10)
        except BaseException:
            self.kill()
            raise

    async def _until_pong(self) -> None:
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited ({self.process.returncode}): {self.log_path.read_text()}")
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                try:
                    writer.write(b"PING\r\n")
                    await writer.drain()
                    if await reader.readline() == b"+PONG\r\n":
                        return
                finally:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
            except OSError:
                pass
            await asyncio.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL: no shutdown courtesy, clients just see their connections drop."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
