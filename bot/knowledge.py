"""The live knowledge base: built once, hot-reloaded on valid edits, last good version kept on errors."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import metrics

log = logging.getLogger(__name__)
WATCHED = ("faq/*.yaml", "articles/*.md", "account.yaml", "userdict.txt")
WARM_UP = "你好，请问怎么购买课程？"
LAST_GOOD = "last-good-kb"          # under INDEX_DIR: a copy of the last KB that passed its check
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


class KnowledgeUnavailable(RuntimeError):
    """The KB fails its check and no earlier good copy exists to serve instead."""

    def __init__(self, root: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"knowledge base in {root} failed its check and there is no last good copy to serve:\n"
                         + "\n".join(problems))


@dataclass
class ReloadResult:
    """What a reload attempt found."""

    ok: bool
    changed: bool
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the admin API."""
        return {"ok": self.ok, "changed": self.changed, "problems": self.problems, "warnings": self.warnings,
                "fingerprint": self.fingerprint}


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
        self.serving_copy = False      # True while the saved last good copy serves because the folder fails
        self.rejected: list[str] = []  # the folder's problems while its last edit fails the check

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        """The Engine serving now (loads the KB on first use)."""
        if self._engine is None:
            result = self.reload()
            if self._engine is None:
                raise KnowledgeUnavailable(self.root, result.problems)
        return self._engine

    @property
    def ready(self) -> bool:
        """True once an Engine is serving."""
        return self._engine is not None

    def on_reload(self, listener: Callable[[object], None]) -> None:
        """Call listener(kb) after each successful (re)load, e.g. to mirror products."""
        self._listeners.append(listener)

    def reload(self, force: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> ReloadResult:
        """Check the KB folder and, when valid and changed, build and swap in a new Engine (progress(stage, done,
        total) follows the texts being embedded)."""
        from index import KBInvalid, load_kb

        with self._lock:
            current = stamp(self.root)
            if not force and self._engine is not None and current == self._stamp:
                return ReloadResult(ok=not self.rejected, changed=False, problems=self.rejected,
                                    fingerprint=self._engine.kb.fingerprint)
            try:
                kb = load_kb(self.root)
            except KBInvalid as exc:
                problems = [str(p) for p in exc.problems]
                self._stamp, self.rejected = current, problems
                metrics.KB_RELOADS.labels("rejected").inc()
                log.error("knowledge base edit rejected (%d problems), keeping the last good one: %s",
                          len(problems), " | ".join(problems[:10]))
                if self._engine is None:
                    self._serve_saved_copy(len(problems))
                return ReloadResult(ok=False, changed=False, problems=problems)
            warnings = [str(w) for w in kb.warnings]
            if self._engine is not None and kb.fingerprint == self._engine.kb.fingerprint and not force:
                self._stamp, self.serving_copy, self.rejected = current, False, []
                return ReloadResult(ok=True, changed=False, fingerprint=kb.fingerprint, warnings=warnings)
            self._swap_in(self._build(kb, progress))
            self._stamp, self.serving_copy, self.rejected = current, False, []
            self._save_copy(kb.fingerprint)
            log.info("knowledge base loaded: %d FAQ, %d items, fingerprint %s",
                     len(kb.faqs), len(kb.items), kb.fingerprint[:12])
            if warnings:
                log.warning("knowledge base loaded with %d warning(s): %s", len(warnings), " | ".join(warnings[:10]))
            return ReloadResult(ok=True, changed=True, fingerprint=kb.fingerprint, warnings=warnings)

    def _build(self, kb, progress: Callable[[str, int, int], None] | None = None):  # type: ignore[no-untyped-def]
        """Engine.build for kb, with the encoder's models loading in a second thread meanwhile: their weights
        load largely outside the GIL, while the saved index and the jieba dictionary load inside it, so a
        restart on a built index serves sooner."""
        from index import Engine

        encoder = shared_encoder(self.model)
        warming = threading.Thread(target=encoder.encode_queries, args=([WARM_UP],), name="encoder-load", daemon=True)
        warming.start()
        try:
            return Engine.build(kb, encoder, self.index_dir, progress=progress)
        finally:
            warming.join()

    def _swap_in(self, engine) -> None:  # type: ignore[no-untyped-def]
        engine.understand(WARM_UP)
        for listener in self._listeners:
            listener(engine.kb)
        self._engine = engine
        metrics.KB_RELOADS.labels("loaded").inc()

    def _save_copy(self, fingerprint: str) -> None:
        """Keep a copy of the KB that just passed, so a restart on a broken folder still has one to serve."""
        dest = self.index_dir / LAST_GOOD
        marker = dest / ".fingerprint"
        if marker.is_file() and marker.read_text() == fingerprint:
            return
        tmp = self.index_dir / f".{LAST_GOOD}.{os.getpid()}.{threading.get_ident()}"
        try:
            for pattern in WATCHED:
                for path in self.root.glob(pattern):
                    target = tmp / path.relative_to(self.root)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
            tmp.mkdir(parents=True, exist_ok=True)
            (tmp / ".fingerprint").write_text(fingerprint)
            shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
        except OSError as exc:      # e.g. another worker process saved the same copy at the same moment
            log.warning("could not keep a copy of the good knowledge base in %s: %s", dest, exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _serve_saved_copy(self, problems: int) -> None:
        """At start-up on a KB that fails its check: serve the copy saved after the last good load, if any."""
        from index import KBInvalid, load_kb

        saved = self.index_dir / LAST_GOOD
        if not saved.is_dir():
            return
        try:
            kb = load_kb(saved)
        except KBInvalid:
            log.error("the saved copy in %s fails its check too; nothing to serve", saved)
            return
        self._swap_in(self._build(kb))
        self.serving_copy = True
        log.error("knowledge base in %s fails its check (%d problems): serving the last good copy from %s "
                  "(fingerprint %s) until the folder is fixed", self.root, problems, saved, kb.fingerprint[:12])

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
