"""Built-in scenario sets for ``lean-chain sweep --scenarios builtin:NAME`` (YAML files here)."""
