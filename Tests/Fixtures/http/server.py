#!/usr/bin/env python3
"""A web server for the HTTP client's tests: redirects, an endless body. Usage: server.py PORT"""
import gzip
import http.server
import sys
import time
import urllib.parse

port = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        path = self.path
        host = self.headers.get("Host", "")
        if path == "/final":
            self.answer(200, f"final {self.command} {host}".encode())
        elif path == "/relative":
            self.answer(302, headers=[("Location", "/final")])
        elif path == "/absolute":
            # The origin the client asked for, as its Host header names it.
            self.answer(301, headers=[("Location", f"http://{host}/final")])
        elif path == "/elsewhere":
            self.answer(302, headers=[("Location", f"http://127.0.0.2:{port}/final")])
        elif path == "/see-other":
            self.answer(303, headers=[("Location", "/final")])
        elif path == "/loop":
            self.answer(302, headers=[("Location", "/loop")])
        elif path == "/whoami":
            self.answer(200, f"port {port}".encode())
        elif path.startswith("/to?"):
            # A hostile Location, any bytes (percent-encoded in the query), sent as is.
            location = urllib.parse.unquote_to_bytes(path[4:])
            self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
        elif path == "/headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            try:
                while True:
                    self.wfile.write(b"X-Endless: " + b"a" * 1000 + b"\r\n")
            except OSError:
                return
        elif path == "/bomb":
            body = gzip.compress(b"\0" * (64 << 20), 9)
            self.answer(200, body, headers=[("Content-Encoding", "gzip")])
        elif path == "/silent":
            time.sleep(300)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        else:
            self.answer(404, b"no such page")

    do_GET = do_HEAD = do_POST = route

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
