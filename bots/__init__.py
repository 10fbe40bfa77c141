"""Thin transports (Telegram, Discord, console) and the command line that wires every layer."""
