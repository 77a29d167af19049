"""Knowledge base, text understanding and retrieval for the account (pure: no web, queue or WeChat)."""

from index.check import check_kb
from index.encoders import Encoder, make_encoder
from index.engine import Engine, Understanding
from index.evaluate import Outcome, Report, engine_respond, evaluate
from index.kb import load_kb
from index.model import Account, FaqEntry, Item, KBInvalid, KnowledgeBase, Problem

__all__ = [
    "Account", "Encoder", "Engine", "FaqEntry", "Item", "KBInvalid", "KnowledgeBase", "Outcome", "Problem",
    "Report", "Understanding", "check_kb", "engine_respond", "evaluate", "load_kb", "make_encoder",
]
