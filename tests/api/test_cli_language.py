"""What `gogaek` prints follows GOGAEK_LANGUAGE, then the terminal's locale, then Korean; Korean
output carries no English glosses (issue 15: English)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gogaek.cli_support import command_language
from gogaek.config import Settings
from tests.cli import run_cli
from tests.hangul import HANGUL

PASSWORD = "a-long-password-9"
ENGLISH = {"GOGAEK_LANGUAGE": "en"}


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "ko"),
        ({"GOGAEK_LANGUAGE": "en"}, "en"),
        ({"GOGAEK_LANGUAGE": "ko", "LANG": "en_US.UTF-8"}, "ko"),
        ({"GOGAEK_LANGUAGE": "fr", "LANG": "en_US.UTF-8"}, "en"),  # a language we do not speak is no choice
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "ko"),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "ko"),  # LC_ALL is the locale when set, even C
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US"}, "en"),  # empty means unset
    ],
)
def test_the_commands_language(environ: dict[str, str], language: str) -> None:
    assert command_language(environ) == language


def test_english_output_has_no_korean_and_korean_has_no_english_glosses(settings: Settings, tmp_path: Path) -> None:
    english = run_cli(settings, "db", "upgrade", extra_env=ENGLISH)
    assert english.stdout.strip() == "The database is up to date."
    assert run_cli(settings, "db", "upgrade").stdout.strip() == "데이터베이스가 최신 상태입니다."

    created = run_cli(
        settings, "user", "create", "--role", "admin", "--email", "en@example.com", "--password", PASSWORD, "--totp",
        extra_env=ENGLISH,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Created the Admin account: en@example.com" in created.stdout
    assert "The secret is not shown again." in created.stdout and not HANGUL.search(created.stdout)
    again = run_cli(
        settings, "user", "create", "--role", "agent", "--email", "en@example.com", "--password", PASSWORD,
        extra_env=ENGLISH,
    )  # fmt: skip
    assert again.returncode == 1 and again.stderr.strip() and not HANGUL.search(again.stderr), again.stderr

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n[1]\n', encoding="utf-8")
    refused = run_cli(settings, "faq", "import", str(bad), extra_env=ENGLISH)
    assert refused.returncode == 1
    assert ":1: Missing: category, question, answer" in refused.stderr
    assert ":2: Not a JSON object." in refused.stderr
    assert "Import failed: 2 errors, nothing written" in refused.stderr
    korean = run_cli(settings, "faq", "import", str(bad))
    assert ":1: 필수 항목 누락: category, question, answer" in korean.stderr
    assert "(" not in korean.stderr  # no English aside in brackets

    good = tmp_path / "good.jsonl"
    row = {"id": "g", "category": "결제", "question": "카드를 잃어버렸어요", "answer": "앱에서 분실 신고를 해 주세요."}
    good.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    imported = run_cli(settings, "faq", "import", str(good), extra_env=ENGLISH)
    assert imported.stdout.startswith("Imported: 1 new, 0 updated"), imported.stderr
    exported = run_cli(settings, "faq", "export", str(tmp_path / "out.jsonl"), extra_env=ENGLISH)
    assert exported.stderr.startswith("Exported 1 article: "), exported.stderr


def test_a_refusal_exits_1_with_the_reason_in_the_commands_language(settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "nobody.zip"
    korean = run_cli(settings, "privacy", "export", "nobody", "--output", str(output))
    assert korean.returncode == 1 and korean.stderr.strip() == "해당 고객을 찾을 수 없습니다."
    english = run_cli(settings, "privacy", "export", "nobody", "--output", str(output), extra_env=ENGLISH)
    assert english.returncode == 1 and not HANGUL.search(english.stderr) and english.stderr.strip(), english.stderr
    assert not output.exists()  # nothing written for a refused export
