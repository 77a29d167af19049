"""Reading and checking KB files, reporting each problem with its file and line."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from index import yamlnodes
from index.account import TEXT_FIELDS
from index.model import FaqEntry, Item, Problem
from index.normalize import wording_key
from index.yamlnodes import Located, YamlSyntax

MENU_NAME_BYTES = 16          # the platform's limits on menu button names (UTF-8 bytes)
SUB_MENU_NAME_BYTES = 60
# what each kind of menu button must carry besides its name
BUTTON_NEEDS: dict[str, tuple[str, ...]] = {
    "click": ("key",), "view": ("url",), "miniprogram": ("url", "appid", "pagepath"),
    "scancode_push": ("key",), "scancode_waitmsg": ("key",), "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",), "pic_weixin": ("key",), "location_select": ("key",),
    "media_id": ("media_id",), "article_id": ("article_id",), "article_view_limited": ("article_id",),
}

ID_RE = re.compile(r"^[a-z0-9-]+$")
PRICE_RE = re.compile(r"^\d+\.\d{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAYWALL_RE = re.compile(r"^\s*<!--\s*paywall\s*-->\s*$")
MAX_ANSWER = 600
FAQ_REQUIRED = ("id", "question", "answer")
FAQ_FIELDS = (*FAQ_REQUIRED, "similar", "tags")
ITEM_REQUIRED = ("id", "title", "kind", "price", "tags", "summary", "author", "published")
KINDS = ("article", "course")
QUOTED_RE = re.compile(r"「([^」]{2,60})」")
# a quoted span worded as a question (「怎么开发票」), as opposed to a page or button name (「我的-订单」)
QUESTION_LIKE_RE = re.compile(r"[吗呢？?]$|怎么|如何|什么|哪里|在哪|多久|多少|能不能|可不可以|是否|为什么")
ACCOUNT_FIELDS = (*TEXT_FIELDS, "menu", "templates")


def kb_files(root: Path) -> list[Path]:
    """The files the service reads, in a stable order (everything else is ignored)."""
    out = sorted((root / "faq").glob("*.yaml")) + sorted((root / "articles").glob("*.md"))
    out += [p for p in (root / "account.yaml", root / "userdict.txt") if p.is_file()]
    return [p for p in out if p.is_file()]


@dataclass
class Parsed:
    """What was read from a KB folder, plus every problem found on the way."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    faqs: list[FaqEntry] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    account: dict[str, Any] = field(default_factory=dict)
    userdict: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)   # FAQ id -> "faq/<file>.yaml:<line>"


class _Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = Parsed()
        self.seen_ids: dict[str, str] = {}
        self.phrasings: dict[str, tuple[str, str]] = {}    # bare normalised phrasing -> (FAQ id, where)
        self.answers: list[tuple[Path, int, str, str]] = []   # (path, line, FAQ id, answer) to check references

    def problem(self, path: Path, line: int, message: str) -> None:
        self.out.problems.append(Problem(str(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.out.warnings.append(Problem(str(path), line, message, warning=True))

    def unknown_fields(self, path: Path, f: dict[str, Located], known: tuple[str, ...], what: str) -> None:
        """Warn about a field the service does not read: usually a misspelt one whose content is lost."""
        for key, loc in f.items():
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.warn(path, loc.line, f"unknown field {key!r} in {what} is ignored{hint}")

    def shared_phrasings(self, path: Path, fid: str, line: int, phrasings: list[str]) -> None:
        """Warn when another entry already has one of these phrasings: the service cannot tell them apart."""
        for text in dict.fromkeys(phrasings):
            key = wording_key(text)
            if not key:
                continue
            other = self.phrasings.setdefault(key, (fid, f"{path}:{line}"))
            if other[0] != fid:
                self.warn(path, line, f"phrasing {text!r} of {fid!r} is also a phrasing of {other[0]!r} "
                          f"(at {other[1]}): the service cannot tell the two apart on it")

    def dangling_references(self) -> None:
        """Warn about an answer that points subscribers to 「a question」 no entry asks, e.g. after a rename."""
        questions = {wording_key(f.question): f.question for f in self.out.faqs}
        asked = list(questions.values())
        for path, line, fid, answer in self.answers:
            for span in QUOTED_RE.findall(answer):
                if wording_key(span) in questions or not QUESTION_LIKE_RE.search(span):
                    continue
                close = difflib.get_close_matches(span, asked, n=1, cutoff=0.4)
                hint = f" (did you mean 「{close[0]}」?)" if close else ""
                self.warn(path, line, f"the answer of {fid!r} points to 「{span}」, which is no entry's question{hint}")

    def check_id(self, path: Path, loc: Located | None, line: int) -> str | None:
        if loc is None:
            return None
        value = loc.value
        if not isinstance(value, str) or not ID_RE.match(value):
            self.problem(path, loc.line, f"bad id {value!r}: must match [a-z0-9-]+")
            return None
        where = f"{path}:{loc.line}"
        if value in self.seen_ids:
            self.problem(path, loc.line, f"duplicate id {value!r} (first at {self.seen_ids[value]})")
            return None
        self.seen_ids[value] = where
        return value

    def text(self, path: Path, f: dict[str, Located], key: str, line: int) -> str | None:
        loc = f.get(key)
        if loc is None or loc.value is None or (isinstance(loc.value, str) and not loc.value.strip()):
            self.problem(path, loc.line if loc else line, f"missing required field '{key}'")
            return None
        if not isinstance(loc.value, str | int | float):
            self.problem(path, loc.line, f"field '{key}' must be text")
            return None
        return str(loc.value).strip()

    def str_list(self, path: Path, f: dict[str, Located], key: str) -> list[str]:
        loc = f.get(key)
        if loc is None or loc.value is None:
            return []
        if not isinstance(loc.value, list) or not all(isinstance(v, str | int | float) for v in loc.value):
            self.problem(path, loc.line, f"field '{key}' must be a list of texts")
            return []
        return [str(v).strip() for v in loc.value if str(v).strip()]

    # Reading -------------------------------------------------------------
    def read(self, path: Path) -> str | None:
        """The file's text, or None (with the problem recorded) when it is not readable UTF-8."""
        try:
            return path.read_text(encoding="utf-8-sig")   # a BOM some editors write is no content
        except UnicodeDecodeError:
            self.problem(path, 1, "file is not UTF-8")
        except OSError as exc:
            self.problem(path, 1, f"cannot read the file: {exc.strerror or exc}")
        return None

    def yaml_file(self, path: Path) -> Located | None:
        """The parsed YAML document at path, or None (with the problem recorded) when it cannot be read."""
        text = self.read(path)
        if text is None:
            return None
        try:
            return yamlnodes.parse(text)
        except YamlSyntax as exc:
            self.problem(path, exc.line, exc.message)
        return None

    # FAQ -----------------------------------------------------------------
    def faq_file(self, path: Path) -> None:
        doc = self.yaml_file(path)
        if doc is None or doc.value is None:
            return
        if not isinstance(doc.value, list):
            self.problem(path, doc.line, "FAQ file must be a YAML list of entries")
            return
        for entry in yamlnodes.items(doc):
            if not isinstance(entry.value, dict):
                self.problem(path, entry.line, "FAQ entry must be a mapping with id, question, answer")
                continue
            f = yamlnodes.fields(entry)
            self.unknown_fields(path, f, FAQ_FIELDS, "an FAQ entry")
            for key in FAQ_REQUIRED:
                if key not in f:
                    self.problem(path, entry.line, f"missing required field '{key}'")
            fid = self.check_id(path, f.get("id"), entry.line)
            question = self.text(path, f, "question", entry.line) if "question" in f else None
            answer = self.text(path, f, "answer", entry.line) if "answer" in f else None
            if answer is not None and len(answer) > MAX_ANSWER:
                self.problem(path, f["answer"].line,
                             f"answer is {len(answer)} characters, at most {MAX_ANSWER} allowed")
                answer = None
            similar = self.str_list(path, f, "similar")
            tags = self.str_list(path, f, "tags")
            if fid and question and answer is not None:
                self.shared_phrasings(path, fid, entry.line, [question, *similar])
                self.answers.append((path, f["answer"].line, fid, answer))
                self.out.faqs.append(FaqEntry(fid, question, similar, answer, tags))
                self.out.sources[fid] = f"{path.relative_to(self.root).as_posix()}:{entry.line}"

    # Articles ------------------------------------------------------------
    def article_file(self, path: Path) -> None:
        text = self.read(path)
        if text is None:
            return
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            self.problem(path, 1, "bad front matter: file must start with a '---' line")
            return
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            self.problem(path, 1, "bad front matter: no closing '---' line")
            return
        try:
            doc = yamlnodes.parse("\n".join(lines[1:end]), line_offset=1)
        except YamlSyntax as exc:
            self.problem(path, exc.line, exc.message.replace("YAML", "front matter YAML", 1))
            return
        if not isinstance(doc.value, dict):
            self.problem(path, 2, "bad front matter: must be a YAML mapping")
            return
        f = yamlnodes.fields(doc, line_offset=1)
        self.unknown_fields(path, f, ITEM_REQUIRED, "the front matter")
        for key in ITEM_REQUIRED:
            if key not in f:
                self.problem(path, 1, f"missing required field '{key}'")
        ok = all(k in f for k in ITEM_REQUIRED)
        iid = self.check_id(path, f.get("id"), 1)
        title = self.text(path, f, "title", 1) if "title" in f else None
        summary = self.text(path, f, "summary", 1) if "summary" in f else None
        author = self.text(path, f, "author", 1) if "author" in f else None
        kind = f.get("kind")
        if kind is not None and kind.value not in KINDS:
            self.problem(path, kind.line, f"bad kind {kind.value!r}: must be article or course")
            ok = False
        price_fen = self.price(path, f.get("price"))
        published = self.date(path, f.get("published"))
        tags = self.str_list(path, f, "tags")
        if "tags" in f and not tags:
            self.problem(path, f["tags"].line, "field 'tags' must list at least one tag")
        body = lines[end + 1:]
        marks = [i for i, ln in enumerate(body) if PAYWALL_RE.match(ln)]
        if not marks:
            self.problem(path, end + 2 if body else end + 1, "missing '<!-- paywall -->' marker line")
            ok = False
        elif len(marks) > 1:
            self.problem(path, end + 2 + marks[1], "more than one '<!-- paywall -->' marker")
            ok = False
        if not (ok and iid and title and summary and author and price_fen and published):
            return
        cut = marks[0]
        self.out.items.append(Item(
            id=iid, title=title, kind=str(kind.value), price_fen=price_fen, tags=tags,
            summary=summary, author=author, published=published,
            preview_md="\n".join(body[:cut]).strip(), paid_md="\n".join(body[cut + 1:]).strip(),
        ))

    def price(self, path: Path, loc: Located | None) -> int | None:
        if loc is None:
            return None
        raw = loc.raw()
        if raw is None or not PRICE_RE.match(raw.strip()) or Decimal(raw) <= 0:
            self.problem(path, loc.line, f"bad price {raw if raw is not None else loc.value!r}: "
                         "must be greater than 0 with two decimals, e.g. 19.90")
            return None
        return int(Decimal(raw) * 100)

    def date(self, path: Path, loc: Located | None) -> date | None:
        if loc is None:
            return None
        raw = (loc.raw() or "").strip()
        try:
            if not DATE_RE.match(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            self.problem(path, loc.line, f"bad date {raw or loc.value!r}: must be YYYY-MM-DD")
            return None

    # account.yaml and userdict.txt ----------------------------------------
    def account_file(self, path: Path) -> None:
        doc = self.yaml_file(path)
        if doc is None or doc.value is None:
            return
        if not isinstance(doc.value, dict):
            self.problem(path, doc.line, "account.yaml must be a YAML mapping")
            return
        f = yamlnodes.fields(doc)
        self.unknown_fields(path, f, ACCOUNT_FIELDS, "account.yaml")
        good: dict[str, Any] = {}
        for key in TEXT_FIELDS:
            if key in f:
                if isinstance(f[key].value, str) and f[key].value.strip():
                    good[key] = f[key].value
                else:
                    self.problem(path, f[key].line, f"field '{key}' must be non-empty text")
        if "menu" in f:
            if self.menu_ok(path, f["menu"]):
                good["menu"] = f["menu"].value
        if "templates" in f:
            t = f["templates"]
            if isinstance(t.value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in t.value.items()
            ):
                good["templates"] = t.value
            else:
                self.problem(path, t.line, "field 'templates' must map purposes to template ids (text)")
        self.out.account = good

    def menu_ok(self, path: Path, loc: Located) -> bool:
        buttons = yamlnodes.fields(loc).get("button")
        if buttons is None or not isinstance(buttons.value, list) or not 1 <= len(buttons.value) <= 3:
            self.problem(path, loc.line, "field 'menu' must be a mapping with 'button': a list of 1-3 buttons")
            return False
        ok = True
        for top in yamlnodes.items(buttons):
            subs = yamlnodes.fields(top).get("sub_button") if isinstance(top.value, dict) else None
            if subs is None:
                ok = self.button_ok(path, top, MENU_NAME_BYTES) and ok
                continue
            ok = self.button_ok(path, top, MENU_NAME_BYTES, needs_type=False) and ok
            if not isinstance(subs.value, list) or not 1 <= len(subs.value) <= 5:
                self.problem(path, subs.line, "'sub_button' must list 1-5 buttons")
                ok = False
                continue
            for sub in yamlnodes.items(subs):
                ok = self.button_ok(path, sub, SUB_MENU_NAME_BYTES) and ok
        return ok

    def button_ok(self, path: Path, loc: Located, name_bytes: int, needs_type: bool = True) -> bool:
        """One menu button as the platform accepts it: a short name, a known type and what that type needs."""
        b = loc.value
        if not isinstance(b, dict) or not isinstance(b.get("name"), str) or not b["name"].strip():
            self.problem(path, loc.line, "every menu button needs a 'name'")
            return False
        name = b["name"]
        problems = []
        if len(name.encode()) > name_bytes:
            problems.append(f"its name is {len(name.encode())} bytes; the platform allows {name_bytes} "
                            f"({name_bytes // 3} Chinese characters)")
        kind = b.get("type")
        if needs_type and kind not in BUTTON_NEEDS:
            problems.append(f"'type' must be one of {', '.join(sorted(BUTTON_NEEDS))}")
        for need in BUTTON_NEEDS.get(kind, ()) if needs_type else ():
            if not isinstance(b.get(need), str) or not b[need].strip():
                problems.append(f"a {kind} button needs '{need}'")
        if kind == "view" and isinstance(b.get("url"), str) and not re.match(r"^https?://[^/\s]+", b["url"]):
            problems.append("its 'url' must be an http(s) URL")
        for message in problems:
            self.problem(path, loc.line, f"menu button {name!r}: {message}")
        return not problems

    def userdict_file(self, path: Path) -> None:
        text = self.read(path)
        if text is None:
            return
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if not re.match(r"^\S+(?: \d+)?(?: [a-z]+)?$", " ".join(parts)):    # jieba's: word [freq] [tag]
                self.problem(path, n, f"bad userdict line {line!r}: expected 'word', 'word freq', 'word tag' or "
                                      "'word freq tag' (freq a whole number, tag a part of speech such as nz)")
                continue
            self.out.userdict.append(parts[0])


def parse_kb(path: str | Path) -> Parsed:
    """Read every KB file under path, collecting records and problems."""
    root = Path(path)
    checker = _Checker(root)
    if not root.is_dir():
        checker.problem(root, 0, "knowledge base folder not found")
        return checker.out
    for p in sorted((root / "faq").glob("*.yaml")):
        checker.faq_file(p)
    for p in sorted((root / "articles").glob("*.md")):
        checker.article_file(p)
    if (root / "account.yaml").is_file():
        checker.account_file(root / "account.yaml")
    if (root / "userdict.txt").is_file():
        checker.userdict_file(root / "userdict.txt")
    checker.dangling_references()
    if not checker.out.problems and not checker.out.faqs and not checker.out.items:
        # a folder moved or emptied by mistake must not replace the KB that serves
        checker.problem(root, 0, "no FAQ entries in faq/*.yaml and no items in articles/*.md: a knowledge base "
                        "needs at least one")
    return checker.out


def check_kb(path: str | Path) -> list[Problem]:
    """Every problem in the KB at path, as Problem(path, line, message); empty when valid (warnings aside)."""
    return parse_kb(path).problems
