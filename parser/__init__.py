"""Text -> typed reading of a channel message (see `parser.models`); `read_message` is the entry point."""

from parser.reading import MAX_MESSAGE_BYTES, read_message

__all__ = ["MAX_MESSAGE_BYTES", "read_message"]
