import logging


class OneLineFormatter(logging.Formatter):
    """The standard format, with line breaks (a traceback's, a message's) written as \\n, so
    every record is one line."""

    def format(self, record):
        return super().format(record).replace("\r", "").replace("\n", "\\n")
