"""`gogaek faq import` / `export` against the configured database: once through the real
`python -m gogaek` entry point, otherwise the same typer app in this process (tests/cli.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gogaek.config import Settings
from tests.cli import run_cli, run_cli_process

GOOD_ROWS: list[dict[str, object]] = [
    {
        "id": "t-1",
        "category": "송금",
        "question": "송금 취소는 어떻게 하나요?",
        "answer": "받기 전이면 취소돼요.",
        "tags": ["송금"],
        "alternates": ["이체 취소"],
    },
    {"id": "t-2", "category": "새카테고리", "question": "새 카테고리 글", "answer": "본문"},
]


def write_jsonl(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_import_creates_updates_in_place_and_exports(settings: Settings, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "faq.jsonl", GOOD_ROWS)
    first = run_cli_process(settings, "faq", "import", str(source))
    assert first.returncode == 0, first.stderr
    assert "새 글 2" in first.stdout
    assert "새카테고리" in first.stdout

    changed = [{**GOOD_ROWS[0], "question": "보낸 돈 취소"}, GOOD_ROWS[1]]
    second = run_cli(settings, "faq", "import", str(write_jsonl(tmp_path / "faq2.jsonl", changed)))
    assert second.returncode == 0, second.stderr
    assert "새 글 0, 수정 2" in second.stdout

    exported = run_cli(settings, "faq", "export")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["id"], r["question"]) for r in rows] == [
        ("t-1", "보낸 돈 취소"),
        ("t-2", "새 카테고리 글"),
    ]

    csv_path = tmp_path / "out.csv"
    assert run_cli(settings, "faq", "export", str(csv_path)).returncode == 0
    assert run_cli(settings, "faq", "import", str(csv_path)).returncode == 0


def test_malformed_import_reports_line_numbers_and_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(GOOD_ROWS[0], ensure_ascii=False)
        + "\n"
        + "{not json\n"
        + json.dumps({"id": "x", "category": "송금", "question": "", "answer": "a"})
        + "\n"
        + "\n"
        + json.dumps({**GOOD_ROWS[0]}, ensure_ascii=False)
        + "\n"
        + "[1, 2]\n",
        encoding="utf-8",
    )
    result = run_cli(settings, "faq", "import", str(bad))
    assert result.returncode == 1
    for line in (":2:", ":3:", ":5:", ":6:"):
        assert line in result.stderr, result.stderr
    assert "중복 id" in result.stderr
    assert "저장된 내용 없음" in result.stderr
    assert run_cli(settings, "faq", "export").stdout == ""


def test_csv_import_with_list_cells(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text(
        "id,category,question,answer,tags,alternates\n"
        'c-1,포인트,포인트는 언제 사라지나요?,5년 뒤 소멸돼요,"포인트,소멸",포인트 없어짐|포인트 만료\n'
        "c-2,포인트,,답만 있음,,\n",
        encoding="utf-8",
    )
    result = run_cli(settings, "faq", "import", str(source))
    assert result.returncode == 1
    assert ":3:" in result.stderr
    source.write_text(
        source.read_text(encoding="utf-8").splitlines()[0]
        + "\n"
        + source.read_text(encoding="utf-8").splitlines()[1]
        + "\n",
        encoding="utf-8",
    )
    assert run_cli(settings, "faq", "import", str(source)).returncode == 0
    row = json.loads(run_cli(settings, "faq", "export").stdout)
    assert row["tags"] == ["포인트", "소멸"]
    assert row["alternates"] == ["포인트 없어짐", "포인트 만료"]


def test_unsupported_format_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "faq.xml"
    path.write_text("<faq/>", encoding="utf-8")
    result = run_cli(settings, "faq", "import", str(path))
    assert result.returncode == 1
    assert "지원하지 않는 형식" in result.stderr
