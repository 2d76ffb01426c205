"""The README's examples run and print what the README says."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run_as_shown() -> None:
    """Every ``>>>`` example in README.md gives the output written under it."""
    result = doctest.testfile(str(README), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0


def test_readme_opens_with_the_two_commands() -> None:
    """The first code block is `make demo` then `make test`."""
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    assert first_block.index("make demo") < first_block.index("make test")
