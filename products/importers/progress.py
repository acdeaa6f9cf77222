"""A running count on stderr for long imports: in place on a terminal, every N rows otherwise."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """``progress.start("products", 10000)``, then ``progress.advance()`` per row.

    On a TTY the line is redrawn in place (at most ~10 times a second); on a pipe or file a
    line is written every ``every`` rows and at the end, so logs stay short. A Progress
    built with ``stream=None`` is silent (the API uses that).
    """

    def __init__(self, stream: TextIO | None = None, *, every: int = 1000) -> None:
        self.stream = stream
        self.every = max(1, every)
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.label = ""
        self.total = 0
        self.count = 0
        self._last_draw = 0.0

    @classmethod
    def silent(cls) -> Progress:
        return cls(None)

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.count = label, total, 0
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        if self.stream is None:
            return
        before = self.count
        self.count += n
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.1 or self.count >= self.total:
                self._last_draw = now
                self.stream.write(f"\r{self._text()}")
                self.stream.flush()
        elif before // self.every != self.count // self.every:
            self.stream.write(self._text() + "\n")

    def finish(self) -> None:
        if self.stream is None or not self.total:
            return
        if self.tty:
            self.stream.write(f"\r{self._text()}\n")
        elif self.count % self.every:
            self.stream.write(self._text() + "\n")
        self.stream.flush()

    def _text(self) -> str:
        return f"{self.label} {self.count}/{self.total}"
