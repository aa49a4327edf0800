"""One module per subcommand; each registers itself on ``miglint.cli.base.app``.

A command imports what it runs inside its function, not at the top: registering every command happens on
every typer start (a `check` the fast path leaves to typer, `--help`), and must not load every feature's
code -- `explain` alone brings the capability tables, the rewriter and PyYAML."""
