"""How much what subscribers wrap a question in moves the answers: python bench/decorated.py KB_DIR...

Sends every labelled FAQ and out-of-scope query of each KB through `Engine.understand` as written, then
wrapped as subscribers wrap them: WeChat emoticons as a client sends them (a bracketed name from the emoji
panel, in Chinese or English, or a classic code), the forms of address they open and close with
(「老师您好，」, 「谢谢老师」), openers and urgency (「求助！」, 「在线等 急」). Prints answered correctly and
out-of-scope false answers over all the KBs for each form."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Engine, load_kb, make_encoder
from index.evaluate import load_queries, outcome_of

FORMS = {"as written": "{}", "+[捂脸]": "{}[捂脸]", "+[流泪][流泪]": "{}[流泪][流泪]", "+/::<": "{}/::<",
         "[Facepalm]+": "[Facepalm]{}", "老师您好，+": "老师您好，{}", "亲，+": "亲，{}", "小编你好 +": "小编你好 {}",
         "+ 谢谢老师": "{} 谢谢老师", "+，麻烦了": "{}，麻烦了", "求助！+": "求助！{}", "问个问题，+": "问个问题，{}",
         "嗯嗯 +": "嗯嗯 {}", "+ 在线等 急": "{} 在线等 急", "+急急急": "{}急急急", "+？？？": "{}？？？",
         "不好意思打扰一下 +": "不好意思打扰一下 {}", "我想问一下+": "我想问一下{}", "+ 拜托了": "{} 拜托了"}


def main(kb_dirs: list[str]) -> None:
    encoder = make_encoder(None)
    totals = {form: [0, 0, 0, 0] for form in FORMS}       # right answers, FAQ queries, false answers, none queries
    for kb_dir in kb_dirs:
        kb = load_kb(kb_dir)
        engine = Engine.build(kb, encoder, Path(tempfile.gettempdir()) / f"kb-outcomes-{kb.fingerprint}")
        queries = [q for q in load_queries(Path(kb_dir) / "queries.jsonl") if q["type"] in ("faq", "none")]
        for form, pattern in FORMS.items():
            for q in queries:
                reply = outcome_of(engine.understand(pattern.format(q["q"])))
                t = totals[form]
                if q["type"] == "faq":
                    t[0] += reply.answers(q["expect"])
                    t[1] += 1
                else:
                    t[2] += reply.speaks()
                    t[3] += 1
    for form, (right, n_faq, false, n_none) in totals.items():
        print(f"{form:16s} answered {right}/{n_faq} = {right / max(n_faq, 1):.3f}   "
              f"out-of-scope false {false}/{n_none} = {false / max(n_none, 1):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
