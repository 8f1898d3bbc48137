"""platform/ is a source root, not a package: the standard library's module must win."""

import platform


def test_import_platform_gives_the_standard_library() -> None:
    assert platform.system()
