#!/usr/bin/env python3
"""A webhook receiver for Beacon's integration tests (standard library only).

    webhook_receiver.py --port-file FILE --log FILE [--secret S] [--script 500,drop,200]

Listens on 127.0.0.1 (a free port, written to --port-file once listening)
and answers each POST by the next action of --script (a status such as
200 or 500, or `drop`: close the connection without answering), then 200
once the script is used up. Each request is appended to --log as one JSON
line: {"n", "action", "path", "headers" (lower-case names), "body",
"signatureValid"}, where signatureValid checks Beacon-Signature
(t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">) with --secret using
Python's hmac module, independently of Beacon's code. Stop it with SIGTERM.
"""

import argparse
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_valid(secret, header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or not v1:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret", default="")
    ap.add_argument("--script", default="")
    args = ap.parse_args()
    script = [a for a in args.script.split(",") if a]
    lock = threading.Lock()
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                n = count[0]
                count[0] += 1
                action = script[n] if n < len(script) else "200"
                record = {
                    "n": n,
                    "action": action,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "signatureValid": signature_valid(args.secret, self.headers.get("Beacon-Signature", ""), body),
                }
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            if action == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            status = int(action)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
