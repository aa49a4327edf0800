"""One module per subcommand; each registers itself on ``miglint.cli.app`` and imports what it needs lazily."""
