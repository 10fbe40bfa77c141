"""Typer command modules, one per subcommand group; bots/cli.py wires them."""
