#!/usr/bin/env python3
"""A stand-in for the apps' dependencies (Redis, a database): a TCP server on PORT. With a PASSWORD,
it answers a first line `AUTH <password>` with +OK, anything else with Redis's WRONGPASS error.
Usage: dependency.py PORT [PASSWORD]"""
import socketserver
import sys

port = int(sys.argv[1])
password = sys.argv[2] if len(sys.argv) > 2 else None


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        if password is None:
            return
        self.request.settimeout(2)
        try:
            line = self.rfile.readline().decode(errors="replace").strip()
        except OSError:
            return
        ok = line == "AUTH " + password
        self.wfile.write(b"+OK\r\n" if ok else b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", port), Handler).serve_forever()
