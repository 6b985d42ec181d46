"""A real SMTP server on loopback for the notification tests (Debian's python3-aiosmtpd).

Usage: smtp_sink.py PORT DIRECTORY
Every accepted message is written as DIRECTORY/<n>.eml (the exact bytes received) with the envelope
recipients in DIRECTORY/<n>.rcpt, first under a temporary name and then renamed, so a reader never sees
half a message. Prints "ready" once it listens; stops on SIGTERM/SIGINT or when stdin closes.
"""
import os
import signal
import sys
import threading
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        base = os.path.join(self.directory, name)
        with open(base + ".rcpt.tmp", "w", encoding="utf-8") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.replace(base + ".rcpt.tmp", base + ".rcpt")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(base + ".tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    # The test process holds our stdin: when it goes away (even killed), stdin closes and we stop too.
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
