"""The pages' own words and the validators' messages in the deployment's language."""

from __future__ import annotations

from gridwork.web.i18n import translate


def test_words_and_messages_translate_to_chinese() -> None:
    assert translate("Sign in", "zh") == "登录"
    assert translate("at most 60 characters", "zh") == "最多 60 个字符"
    assert translate("'x' is not one of the options", "zh") == "“x”不是可选项"
    assert translate("Page {page} of {pages}", "zh", page=2, pages=5) == "第 2 / 5 页"


def test_english_is_the_key_and_unknown_text_passes_through() -> None:
    assert translate("Sign in", "en") == "Sign in"
    assert translate("{count} records", "en", count=3) == "3 records"
    assert translate("a message no one listed", "zh") == "a message no one listed"
