"""Text -> typed reading of a channel message (see `parser.models`)."""
