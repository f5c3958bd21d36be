"""The ``chartcoder`` command line: a Typer app that wires the packages' public functions, nothing more."""
