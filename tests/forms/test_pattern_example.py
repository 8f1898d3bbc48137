"""A pattern field's refusal shows the shape it wants: an example built from the pattern,
or, when none can be built, the pattern itself."""

from __future__ import annotations

import pytest

from gridwork.config.models import FieldSpec
from gridwork.forms.pattern_example import pattern_example
from gridwork.forms.plain_types import TextType


@pytest.mark.parametrize(("pattern", "example"), [
    (r"^\d{6}$", "123456"),
    (r"^JY\d{6}$", "JY123456"),
    (r"^[A-Z]{2}-\d{3}$", "AA-123"),
    (r"^(ZJ|JS)\d{2}$", "ZJ12"),
    (r"^[1-9]\d{5}$", "123456"),
    (r"^\w+@\w+\.com$", "a@b.com"),
    (r"^S\dC\d(G\d+)?$", "S1C2"),
])
def test_an_example_matches_its_pattern(pattern: str, example: str) -> None:
    assert pattern_example(pattern) == example


@pytest.mark.parametrize(("pattern", "message"), [
    (r"^JY\d{6}$", "not in the expected format, e.g. JY123456"),
    (r"^(?!00)\d{2}$", r"not in the expected format: it must match ^(?!00)\d{2}$"),
])
def test_a_refusal_says_the_shape(pattern: str, message: str) -> None:
    spec = FieldSpec(name="licence", type="text", pattern=pattern)
    with pytest.raises(ValueError, match=r"^not in the expected format") as refused:
        TextType().validate("AB", spec)
    assert str(refused.value) == message
