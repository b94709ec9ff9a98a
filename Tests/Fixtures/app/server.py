#!/usr/bin/env python3
"""The sample app of the tests and the demo: an HTTP server with a health endpoint.

It behaves like the Next.js apps of the incidents: it serves what its last build (.next/build.json)
says, it dies with EADDRINUSE when the port is taken (so its supervisor restarts it in a loop), and it
binds the address in HOST (":: " binds IPv6 only, as the incident's server did).
"""
import http.server
import json
import os
import signal
import socket
import sys

here = os.path.dirname(os.path.abspath(__file__))
settings = {"PORT": "3002", "HOST": "0.0.0.0"}
env_file = os.path.join(here, ".env.production")
if os.path.exists(env_file):
    for line in open(env_file):
        if "=" in line and not line.startswith("#"):
            key, value = line.strip().split("=", 1)
            settings[key] = value
settings.update({k: v for k, v in os.environ.items() if k in ("PORT", "HOST")})
port = int(settings["PORT"])
host = settings["HOST"]

try:
    build = json.load(open(os.path.join(here, ".next", "build.json")))
except (OSError, ValueError):
    build = {"version": "none", "health": 500}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path in ("/health", "/api/health"):
            status = int(build.get("health", 500))
            body = ("ok " if status == 200 else "broken ") + build.get("version", "?")
        else:
            status, body = 200, "app version " + build.get("version", "?")
        data = (body + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        super().server_bind()


try:
    server = Server((host, port), Handler)
except OSError as error:
    print(f"Error: listen EADDRINUSE: address already in use {host}:{port} ({error})", file=sys.stderr, flush=True)
    sys.exit(1)

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"Server listening on {host}:{port}, build {build.get('version')}", flush=True)
server.serve_forever()
