"""Compiled templates are shared by every app of a process, and an edited template is compiled again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment

from gogaek.config import Settings
from gogaek.web import templating


def test_a_second_app_renders_from_the_compiled_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(env="test", data_dir=tmp_path)
    templating.create_templates(settings).env.get_template("base.html")
    compiled: list[Any] = []
    compile_source = Environment.compile

    def counting(self: Environment, *args: Any, **kwargs: Any) -> Any:
        compiled.append(args)
        return compile_source(self, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    template = templating.create_templates(settings).env.get_template("base.html")
    assert compiled == [] and template.name == "base.html"


def test_an_edited_template_is_compiled_again() -> None:
    cache = templating._TEMPLATE_CODE
    before = Environment(loader=DictLoader({"note.html": "처리 중"}), bytecode_cache=cache, autoescape=True)
    after = Environment(loader=DictLoader({"note.html": "답변 완료"}), bytecode_cache=cache, autoescape=True)
    assert before.get_template("note.html").render() == "처리 중"
    assert after.get_template("note.html").render() == "답변 완료"
