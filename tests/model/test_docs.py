"""docs/instance-format.md is generated from the schema and must not drift from it."""

from conftest import ROOT

from lean_chain.model.docs import render_instance_format
from lean_chain.model.schema import PARAMETERS, TABLES


def test_instance_format_doc_matches_schema():
    text = (ROOT / "docs" / "instance-format.md").read_text(encoding="utf-8")
    assert text == render_instance_format(), (
        "regenerate: python -m lean_chain.model.docs > docs/instance-format.md"
    )


def test_every_column_and_parameter_is_documented():
    text = render_instance_format()
    for table in TABLES.values():
        assert f"## {table.filename}" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for name in PARAMETERS:
        assert f"| `{name}` |" in text
