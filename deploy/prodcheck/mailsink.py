"""A local SMTP server that keeps what it receives: each message as a JSON file (envelope
sender, recipients and the message itself) in a folder. A process of its own, so the stack
can be left running (--keep) after the runner ends.

    python -m deploy.prodcheck.mailsink PORT FOLDER
"""

import asyncio
import json
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepEverything:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        record = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "message": envelope.content.decode("utf-8", errors="replace"),
        }
        path = self.folder / f"{time.time_ns()}-{self.count}.json"
        # Written aside and renamed, so a reader never sees half a message.
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(record))
        partial.rename(path)
        return "250 Message accepted for delivery"


def main(port, folder):
    Path(folder).mkdir(parents=True, exist_ok=True)
    controller = Controller(KeepEverything(folder), hostname="127.0.0.1", port=int(port))
    controller.start()
    try:
        asyncio.run(_forever())
    finally:
        controller.stop()


async def _forever():
    while True:
        await asyncio.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:3])
