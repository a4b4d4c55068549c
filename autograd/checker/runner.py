"""The parent's side of the child process: start it, send a program, wait at most so long, restart after a crash.

>>> with Child("micrograd.engine:Value") as child:
...     reply = child.request({"leaves": [2.0], "steps": [["*", 0, 0]]})
>>> child.info["class"], reply["values"], reply["grads"][0][0]
('Value', [2.0, 4.0], 4.0)
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

#: How much longer than its own timer the parent waits before it kills a child that does not answer.
GRACE = 3.0
#: How many times discovery may kill the process (once per operator) before the engine counts as unusable.
MAX_BROKEN = 8


class EngineUnusable(Exception):
    """The engine could not be imported or built at all (the reason is the message)."""


class Child:
    """A child process serving one engine (``autograd.checker.child``); ``request`` never raises for what the engine does."""

    def __init__(self, target: str, *, timeout: float = 2.0, memory_mb: int = 1024) -> None:
        self.target, self.timeout, self.memory_mb = target, timeout, memory_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.restarts = 0
        #: Operators whose discovery probe killed the process (not probed again).
        self.broken: set[str] = set()
        self._buffer = b""
        self._start()

    def _start(self) -> None:
        for _ in range(MAX_BROKEN):
            command = [sys.executable, "-m", "autograd.checker.child", self.target, "--memory", str(self.memory_mb)]
            if self.broken:
                command += ["--broken", ",".join(sorted(self.broken))]
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            probing = ""
            self._buffer = b""
            first = self._read(25.0)
            while first is not None and "probing" in first:
                probing = first["probing"]
                first = self._read(25.0)
            if first is not None and first.get("error") == "Crash" and probing:
                self.broken.add(probing)  # that operator's probe killed the process: start again without probing it
                continue
            break
        if first is None or "ready" not in first:
            self.close()
            reason = "no answer" if first is None else f"{first.get('error')}: {first.get('message')}"
            raise EngineUnusable(f"cannot load {self.target}: {reason}")
        self.info = first["ready"]

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next line from the child as JSON; None after ``timeout`` seconds, a ``Crash`` reply when it died."""
        assert self.process is not None and self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        # Our own line buffer over os.read: select() cannot see lines a buffered reader already holds.
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self._buffer = b""
                return {"error": "Crash", "message": self._death()}
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _death(self) -> str:
        assert self.process is not None
        code = self.process.wait(5)
        return (
            f"the engine's process died (exit code {code})" if code >= 0 else f"the engine's process was killed by signal {-code}"
        )

    def request(self, request: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        """Run one request; a hang or a dead child is an answer (``{"error": "Hang"}``/``"Crash"``), and the child restarts."""
        limit = self.timeout if timeout is None else timeout
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps({**request, "timeout": limit}) + "\n").encode())
            self.process.stdin.flush()
            reply = self._read(limit + GRACE)
        except (BrokenPipeError, OSError):
            reply = {"error": "Crash", "message": self._death()}
        if reply is None:
            reply = {"error": "Hang", "message": f"no answer within {limit} s (the process was killed)"}
        if reply.get("error") in ("Hang", "Crash", "MemoryError"):
            self.close()
            self.restarts += 1
            self._start()
        return reply

    def close(self) -> None:
        """End the child."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process is not None:
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
