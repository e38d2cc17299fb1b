"""`closer eval` as CONTRACT.md gives it: labelled CSV/JSONL in, metrics table out, JSON with predictions."""

from __future__ import annotations

import json

from tests.test_cli import run_closer

TRAIN = [
    ("how much does it cost", "pricing"),
    ("what is the price", "pricing"),
    ("price list please", "pricing"),
    ("how expensive is it", "pricing"),
    ("cost of the machine", "pricing"),
    ("when will it arrive", "delivery"),
    ("shipping time to Kyiv", "delivery"),
    ("do you deliver abroad", "delivery"),
    ("how long is delivery", "delivery"),
    ("track my parcel", "delivery"),
    ("tell me a joke", "oos"),
    ("weather tomorrow", "oos"),
    ("who is the president", "oos"),
    ("recommend a movie", "oos"),
    ("what is two plus two", "oos"),
]
TEST = [("what's the price of it", "pricing"), ("when does my order arrive", "delivery"), ("sing me a song", "oos")]


def write_csv(path, rows) -> None:
    path.write_text("text,label\n" + "".join(f'"{t}",{label}\n' for t, label in rows), encoding="utf-8")


def test_router_eval_with_training_file_writes_predictions_in_order(tmp_path):
    train, test, out = tmp_path / "train.csv", tmp_path / "test.jsonl", tmp_path / "out.json"
    write_csv(train, TRAIN)
    test.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in TEST), encoding="utf-8")
    result = run_closer(
        ["eval", "--task", "router", "--train", str(train), "--test", str(test), "--json", str(out)],
        {"DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "out-of-scope recall" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 3 and len(report["predictions"]) == 3
    assert report["predictions"][:2] == ["pricing", "delivery"]
    for key in ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall"):
        assert 0.0 <= report[key] <= 1.0
    assert report["accuracy"] == sum(p == t for p, (_, t) in zip(report["predictions"], TEST, strict=True)) / 3


def test_router_eval_on_the_playbook_compares_two_playbooks(tmp_path, repo_root):
    test, out = tmp_path / "test.csv", tmp_path / "out.json"
    write_csv(
        test,
        [
            ("How much is the Office 200?", "pricing"),
            ("позовите менеджера", "human"),
            ("какая завтра погода в Киеве", "oos"),
        ],
    )
    bundled = repo_root / "brain/sample/playbook.yaml"
    result = run_closer(
        ["eval", "--task", "router", "--test", str(test), "--json", str(out), "--compare", str(bundled)],
        {"DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["run"]["predictions"] == ["pricing", "human", "oos"]
    assert report["compare"]["predictions"] == report["run"]["predictions"]


def test_eval_refuses_a_file_without_labels(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("message\nhello\n", encoding="utf-8")
    result = run_closer(["eval", "--task", "router", "--test", str(bad)], {"DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "needs a header with a `text` column" in result.stderr


def test_lead_eval_judges_like_serving(tmp_path):
    """`--task lead` without --train uses the playbook's examples, as `closer serve` does."""
    test, out = tmp_path / "leads.csv", tmp_path / "out.json"
    rows = [
        ("Виставте рахунок на дві Compact 80, оплатимо сьогодні", "hot"),
        ("Сколько стоит аренда Barista Pro на полгода?", "warm"),
        ("My Office 200 shows a descaling error, what do I do?", "cold"),
    ]
    write_csv(test, rows)
    result = run_closer(
        ["eval", "--task", "lead", "--test", str(test), "--json", str(out)], {"DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["predictions"] == ["hot", "warm", "cold"]


LAB_QUESTIONS = (
    "question,source,reference\n"
    "What is the warranty period?,service.md,"
    "Every new machine has a 24-month warranty; rented machines are covered for the whole rental period.\n"
    "How often should I descale the machine?,,Descale the machine every 3 months or every month with hard water.\n"
    "Who won the football match yesterday?,oos,\n"
)


def lab_files(tmp_path):
    test, out = tmp_path / "conversations.csv", tmp_path / "lab.json"
    test.write_text(LAB_QUESTIONS, encoding="utf-8")
    return test, out


def test_answer_lab_offline_scores_by_reference_and_source(tmp_path, repo_root):
    test, out = lab_files(tmp_path)
    bundled = repo_root / "brain/sample/playbook.yaml"
    result = run_closer(
        ["eval", "--task", "answer", "--test", str(test), "--compare", str(bundled), "--json", str(out)],
        {"DATA_DIR": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "winner: tie" in result.stdout and "answering (compare)" in result.stderr  # the progress bars
    lab = json.loads(out.read_text(encoding="utf-8"))
    assert lab["scored_by"] == "reference overlap and source match"
    warranty, descaling, football = lab["per_question"]
    assert warranty["run"]["sources"] == ["en/service.md"] and warranty["run"]["score"] > 0.5
    assert 0 < descaling["run"]["score"] < 1  # overlap with the reference only: there is no source label
    assert football["run"]["score"] == 1.0 and not football["run"]["sources"]  # rightly not answered
    assert lab["run"]["source_accuracy"] == 1.0 and lab["run"]["model"] == "offline"


async def test_answer_lab_compares_two_models_and_uses_the_judge(tmp_path, fake_openai):
    import asyncio

    from tests.fakes.openai_api import Scripted

    fake, base = fake_openai
    unscripted = fake.default

    def by_model(body):  # the weaker model shrugs; the other echoes the question with the knowledge it got
        if body.get("model") == "weak-model" and "response_format" not in body:
            return Scripted(content="Sorry, no idea.")
        return unscripted(body)

    fake.default = by_model
    test, out = lab_files(tmp_path)
    env = {"DATA_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": base, "LLM_MAX_RETRIES": "0"}
    args = ["eval", "--task", "answer", "--test", str(test), "--compare-model", "weak-model", "--json", str(out)]
    fake.push_structured(
        *(Scripted(json_body={"first": 5, "second": 1, "reason": "r"}, schema="answer_judgement") for _ in range(3))
    )
    result = await asyncio.to_thread(run_closer, args, env, "", 300)
    assert result.returncode == 0, result.stderr
    lab = json.loads(out.read_text(encoding="utf-8"))
    assert lab["compare"]["model"] == "weak-model" and lab["run"]["model"] != "weak-model"
    assert all(q["compare"]["answer"] == "Sorry, no idea." for q in lab["per_question"])
    assert lab["scored_by"] == "llm judge" and lab["winner"] == "run"
    assert [q["run"]["score"] for q in lab["per_question"]] == [1.0, 1.0, 1.0]
    judged = [
        r for r in fake.structured_requests() if r["response_format"]["json_schema"]["name"] == "answer_judgement"
    ]
    assert len(judged) == 3 and "Sorry, no idea." in judged[0]["messages"][-1]["content"]
    assert "24-month warranty" in judged[0]["messages"][-1]["content"]  # the judge sees the reference answer

    # A judge that cannot answer: each pair is scored offline instead, and the weak model still loses.
    result = await asyncio.to_thread(run_closer, args, env, "", 300)
    lab = json.loads(out.read_text(encoding="utf-8"))
    assert lab["scored_by"] == "reference overlap and source match" and lab["winner"] == "run"
