"""Drive `tts chat` in conversation mode through a pseudo-terminal, as a user would.

Usage: converse.py TTS_BINARY ARGS... ; each line of stdin is a turn (typed after the prompt
appears and the previous answer has been printed); then Ctrl-D. Prints what the terminal
showed; exits with the program's exit code.
"""

import os
import pty
import select
import sys
import time


def main():
    turns = [line.rstrip("\n") for line in sys.stdin]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], sys.argv[1:])
    seen = b""

    def wait_for(needle, after, limit=30.0):
        nonlocal seen
        deadline = time.monotonic() + limit
        while seen.find(needle, after) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.stdout.write(seen.decode(errors="replace"))
                sys.exit(f"timed out waiting for {needle!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    sys.stdout.write(seen.decode(errors="replace"))
                    sys.exit(f"the program ended while waiting for {needle!r}")
                seen += data
        return seen.find(needle, after) + len(needle)

    at = wait_for(b"> ", 0)
    for turn in turns:
        os.write(fd, turn.encode() + b"\r")
        # The answer ends with a new prompt.
        at = wait_for(b"> ", at + len(turn))
    os.write(fd, b"\x04")
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
