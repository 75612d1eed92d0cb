"""Decontamination bench: speed on 100k training rows against a 1,319-item benchmark, and recall per leak kind on
the seeded corpus; the judges' checker (PostTrainBench's contamination_check.py) on the same data when given.

Speed data: 1,319 GSM8K-style test items from the corpus's 17 templates (stock sentences shared by ~78 items
each, the hard case for a candidate search), 100k training rows: 60% clean problems from the same templates with
other numbers, 40% prose of ~100 words, and 200 planted copies, solutions and paraphrases.

    python bench/decontam.py [--train 100000] [--eval 1319] [--checker PATH/contamination_check.py]
    # prints and writes bench/results/decontam-<date>.json
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package: the corpus generator

from posttrain.tools.evaluation.contamination import check_contamination, from_rows, row_text  # noqa: E402
from posttrain.tools.evaluation.contamination.judges import run_checker  # noqa: E402
from tests.fixtures.contamination.corpus import TEMPLATES, _signature, _word_item, make_corpus, reword  # noqa: E402


def speed_data(n_train: int, n_eval: int, seed: int = 0) -> tuple[list[str], list[dict], list[int]]:
    rng = random.Random(seed)
    tests = [_word_item(rng, i % len(TEMPLATES)) | {"id": f"t{i}"} for i in range(n_eval)]
    prose = "the model reads tokens and learns patterns from many examples of text in long documents".split()
    taken = {_signature(t) for t in tests}  # (see the corpus)
    train = []
    for k in range(n_train):
        if k % 5 < 3:
            sibling = _word_item(rng, k % len(TEMPLATES), taken)
            train.append(sibling["question"] + "\n" + sibling["answer"])
        else:
            train.append(" ".join(rng.choice(prose) for _ in range(100)))
    planted = []
    for k in range(200):
        item, row = tests[k * (n_eval // 200)], k * (n_train // 200)
        train[row] = [item["question"].upper(), "Solution: " + item["answer"].split("####")[0],
                      reword(item["question"], rng), "Notes. " + item["question"] + " More notes."][k % 4]
        planted.append(row)
    return train, tests, planted


def timed(fn):
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, round(time.perf_counter() - started, 2), round(time.process_time() - cpu, 2)


def quality(checker: str | None) -> dict:
    """Rows found per (benchmark, kind) by posttrain and, when given, by the judges' checker."""
    corpus = make_corpus(seed=0)
    out: dict[str, dict] = defaultdict(dict)
    for bench, items in corpus.tests.items():
        rows = [r for r in corpus.rows if r["bench"] == bench]
        texts, refs = [row_text(r["row"]) for r in rows], from_rows(items)
        ours = set(check_contamination(texts, refs).contaminated_train_rows)
        theirs = run_checker(checker, texts, refs=refs) if checker else None
        kinds = defaultdict(list)
        for index, row in enumerate(rows):
            kinds[row["kind"]].append(index)
        for kind, indices in kinds.items():
            entry = {"rows": len(indices), "posttrain": sum(i in ours for i in indices)}
            if theirs is not None:
                entry["judges"] = sum(i in theirs for i in indices)
            out[bench][kind] = entry
    return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--eval", type=int, default=1319)
    parser.add_argument("--checker", help="Path to the judges' contamination_check.py, timed on the same data.")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / f"decontam-{date.today()}.json"))
    args = parser.parse_args()
    train, tests, planted = speed_data(args.train, args.eval)
    refs = from_rows(tests)
    report, wall, cpu = timed(lambda: check_contamination(train, refs))
    speed = {"train_rows": len(train), "words_m": round(sum(len(t.split()) for t in train) / 1e6, 1),
             "test_items": len(tests), "planted": len(planted),
             "posttrain": {"wall_s": wall, "cpu_s": cpu, "flagged_rows": len(report.contaminated_train_rows),
                           "planted_found": len(set(planted) & set(report.contaminated_train_rows)),
                           "by_rule": report.by_rule, "template_siblings": report.template_siblings}}
    if args.checker:
        with tempfile.TemporaryDirectory() as tmp:
            reference = Path(tmp, "reference.json")
            reference.write_text(json.dumps([{"question": t["question"], "answer": t["answer"]} for t in tests]))
            flagged, wall, cpu = timed(lambda: run_checker(args.checker, train, reference=reference))
        speed["judges"] = {"wall_s": wall, "flagged_rows": len(flagged),
                           "only_posttrain": len(set(report.contaminated_train_rows) - flagged),
                           "only_judges": len(flagged - set(report.contaminated_train_rows))}
    load = os.getloadavg()[0]
    result = {"date": str(date.today()), "machine": f"2-core CPU shared with other jobs, load average {load:.1f}",
              "command": "nice -n 19 python " + " ".join(sys.argv), "speed": speed,
              "quality": quality(args.checker)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
