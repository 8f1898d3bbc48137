"""The pages' own words in the deployment's language, from Babel catalogues kept up to date."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from starlette.testclient import TestClient
from web_support import sign_in
from support import runtime_of

from gridwork.config import Deployment
from gridwork.storage import make_engine
from gridwork.web import create_app
from gridwork.web.i18n import LOCALE_DIR, translate

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "N_": None}


def _catalogue(locale: str) -> tuple[dict[str, str], dict[str, str]]:
    """(the .po's translated messages, the .mo's messages) of ``locale``, by id."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    return ({m.id: m.string for m in source if m.id and m.string and not m.fuzzy},
            {m.id: m.string for m in compiled if m.id})


def _extracted() -> dict[str, str]:
    """Every message id `pybabel extract` finds with the project's babel.cfg, and where."""
    with open(LOCALE_DIR / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        text = message[0] if isinstance(message, tuple) else message
        found.setdefault(text, f"{filename}:{lineno}")
    return found


def test_every_string_of_the_pages_has_a_chinese_translation() -> None:
    translated, _compiled = _catalogue("zh")
    found = _extracted()
    assert "Sign in" in found and "not within your area" in found
    missing = sorted(f"{where}: {text!r}" for text, where in found.items()
                     if text not in translated)
    assert not missing, ("no Chinese translation (re-extract, translate and compile as "
                         "platform/gridwork/web/locale/README.md says):\n" + "\n".join(missing))


def test_the_compiled_catalogues_match_their_sources() -> None:
    for locale in ("zh", "en"):
        translated, compiled = _catalogue(locale)
        assert compiled == translated, (
            f"{locale}/LC_MESSAGES/messages.mo is out of date: run "
            "`.venv/bin/pybabel compile -d platform/gridwork/web/locale`")


def test_words_and_validator_messages_translate_to_chinese() -> None:
    assert translate("Sign in", "zh") == "登录"
    assert translate("at most 60 characters", "zh") == "最多 60 个字符"
    assert translate("'x' is not one of the options", "zh") == "“x”不是可选项"
    assert translate("not a valid ID-card number: checksum fails", "zh") == "身份证号码无效"
    assert translate("Page {page} of {pages}", "zh", page=2, pages=5) == "第 2 / 5 页"


def test_english_is_the_id_and_unknown_text_passes_through() -> None:
    assert translate("Sign in", "en") == "Sign in"
    assert translate("at most 60 characters", "en") == "at most 60 characters"
    assert translate("{count} records", "en", count=3) == "3 records"
    assert translate("a message no one listed", "zh") == "a message no one listed"


def _in_english(deployment: Deployment) -> Deployment:
    info = deployment.about.model_copy(update={"locale": "en"})
    return deployment.model_copy(update={"about": info})


def test_pages_show_their_chrome_in_the_deployment_language(
        tmp_path: Path, seeded: Callable[[str], Path],
        deployments: dict[str, Deployment]) -> None:
    shutil.copy(seeded("community"), tmp_path / "db.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        for deployment, words, absent in (
                (deployments["community"], ["登录", "用户名", "密码"], "Password"),
                (_in_english(deployments["community"]), ["Sign in", "Username", "Password"],
                 "密码")):
            client = TestClient(create_app(runtime_of(deployment), engine=engine, secret="s" * 32,
                                           data_dir=tmp_path))
            signin = client.get("/signin").text
            assert all(word in signin for word in words) and absent not in signin
            home = sign_in(client, "grid_worker").text
            locale = deployment.about.locale
            assert ("退出" if locale == "zh" else "Sign out") in home
            wrong = sign_in(client, "grid_worker", "not the password").text
            assert ("用户名或密码不正确。" if locale == "zh"
                    else "The username or password is wrong.") in wrong
    finally:
        engine.dispose()
