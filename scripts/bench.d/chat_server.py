"""A chat-completions server streaming a scripted answer, for timing `tts chat`.

Run with: python chat_server.py PORT_FILE TIMES_FILE
Writes the port it bound on 127.0.0.1 to PORT_FILE. Each POST to /v1/chat/completions gets the
tokens below as Server-Sent Events, one every 30 ms (a model writing about 33 tokens a second);
the wall-clock time at which the last token of the first sentence (its ".") was sent is
appended to TIMES_FILE. The rest of the answer follows after 1.5 s.
"""
import http.server
import json
import sys
import time

FIRST = ["Hello", " there", "."]
REST = [" How", " are", " you", " today", "?"]


def event(content):
    return ("data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": content}}]}) + "\n\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for token in FIRST:
            self.wfile.write(event(token))
            self.wfile.flush()
            sent = time.time()
            time.sleep(0.03)
        with open(sys.argv[2], "a") as f:
            f.write(f"{sent}\n")
        # The next token, as a model sends it: the space that shows the sentence ended.
        self.wfile.write(event(REST[0]))
        self.wfile.flush()
        time.sleep(1.5)
        for token in REST[1:]:
            self.wfile.write(event(token))
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
