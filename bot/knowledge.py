"""The live knowledge base: built once, hot-reloaded on valid edits, last good version kept on errors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import metrics

log = logging.getLogger(__name__)
WATCHED = ("faq/*.yaml", "articles/*.md", "account.yaml", "userdict.txt")
WARM_UP = "你好，请问怎么购买课程？"
_encoders: dict[str, object] = {}
_encoders_lock = threading.Lock()


def shared_encoder(name: str):  # type: ignore[no-untyped-def]
    """One encoder per model name per process (loading a model is slow and it is read-only)."""
    from index import make_encoder

    with _encoders_lock:
        if name not in _encoders:
            _encoders[name] = make_encoder(name or None)
        return _encoders[name]


def stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """A cheap change detector: names, sizes and mtimes of the files the service reads."""
    entries = []
    for pattern in WATCHED:
        for path in sorted(root.glob(pattern)):
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((str(path.relative_to(root)), info.st_size, info.st_mtime_ns))
    return tuple(entries)


@dataclass
class ReloadResult:
    """What a reload attempt found."""

    ok: bool
    changed: bool
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the admin API."""
        return {"ok": self.ok, "changed": self.changed, "problems": self.problems, "fingerprint": self.fingerprint}


class Knowledge:
    """Holds the current index Engine; swaps in a new one only when the edited KB passes the check."""

    def __init__(self, root: Path, index_dir: Path, model: str) -> None:
        self.root = root
        self.index_dir = index_dir
        self.model = model
        self._engine = None
        self._stamp: tuple[tuple[str, int, int], ...] = ()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[object], None]] = []
        self._stop = threading.Event()
        self.error: str | None = None

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        """The Engine serving now (loads the KB on first use)."""
        if self._engine is None:
            result = self.reload()
            if self._engine is None:
                raise RuntimeError("knowledge base failed its check: " + "; ".join(result.problems[:5]))
        return self._engine

    @property
    def ready(self) -> bool:
        """True once an Engine is serving."""
        return self._engine is not None

    def on_reload(self, listener: Callable[[object], None]) -> None:
        """Call listener(kb) after each successful (re)load, e.g. to mirror products."""
        self._listeners.append(listener)

    def reload(self, force: bool = False) -> ReloadResult:
        """Check the KB folder and, when valid and changed, build and swap in a new Engine."""
        from index import Engine, KBInvalid, load_kb

        with self._lock:
            current = stamp(self.root)
            if not force and self._engine is not None and current == self._stamp:
                return ReloadResult(ok=True, changed=False, fingerprint=self._engine.kb.fingerprint)
            try:
                kb = load_kb(self.root)
            except KBInvalid as exc:
                problems = [str(p) for p in exc.problems]
                self._stamp = current
                metrics.KB_RELOADS.labels("rejected").inc()
                log.error("knowledge base edit rejected (%d problems), keeping the last good one: %s",
                          len(problems), " | ".join(problems[:10]))
                return ReloadResult(ok=False, changed=False, problems=problems)
            if self._engine is not None and kb.fingerprint == self._engine.kb.fingerprint and not force:
                self._stamp = current
                return ReloadResult(ok=True, changed=False, fingerprint=kb.fingerprint)
            engine = Engine.build(kb, shared_encoder(self.model), self.index_dir)
            engine.understand(WARM_UP)
            for listener in self._listeners:
                listener(kb)
            self._engine, self._stamp = engine, current
            metrics.KB_RELOADS.labels("loaded").inc()
            log.info("knowledge base loaded: %d FAQ, %d items, fingerprint %s",
                     len(kb.faqs), len(kb.items), kb.fingerprint[:12])
            return ReloadResult(ok=True, changed=True, fingerprint=kb.fingerprint)

    def watch(self, interval: float) -> threading.Thread:
        """Poll the folder in a daemon thread and reload on change."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    if stamp(self.root) != self._stamp:
                        self.reload()
                except Exception:
                    log.exception("knowledge base reload failed")

        thread = threading.Thread(target=loop, name="kb-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop the watcher thread."""
        self._stop.set()
