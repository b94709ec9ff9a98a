#!/usr/bin/env python3
"""The sample app of the tests and the demo: an HTTP server with a health endpoint.

It behaves like the Next.js apps of the incidents: it serves what its last build (.next/build.json)
says, it dies with EADDRINUSE when the port is taken (so its supervisor restarts it in a loop), and it
binds the address in HOST (":: " binds IPv6 only, as the incident's server did).

Settings of .env.production for the other incidents: REDIS_ADDR and REDIS_PASSWORD (it authenticates
at start and dies with WRONGPASS, as ioredis does), DATABASE_ADDR (/status answers
{"data": {"status": "unhealthy"}} while it cannot connect), BALLAST_MB (memory it holds; SIGHUP
reads the file again, as a graceful reload does).
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


def read_settings():
    if os.path.exists(env_file):
        for line in open(env_file):
            line = line.strip()
            if line.startswith("export "):
                line = line[7:]
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                settings[key] = value
    settings.update({k: v for k, v in os.environ.items() if k in ("PORT", "HOST")})


read_settings()
ballast = bytearray(int(settings.get("BALLAST_MB", "0") or 0) << 20)


def reload(*_):
    global ballast
    read_settings()
    ballast = bytearray(int(settings.get("BALLAST_MB", "0") or 0) << 20)
    print(f"reloaded settings: BALLAST_MB={settings.get('BALLAST_MB', '0')}", flush=True)


def connects(address):
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except (OSError, ValueError):
        return False


if settings.get("REDIS_ADDR"):
    host, _, port = settings["REDIS_ADDR"].rpartition(":")
    try:
        connection = socket.create_connection((host, int(port)), timeout=2)
        connection.sendall(("AUTH " + settings.get("REDIS_PASSWORD", "") + "\r\n").encode())
        reply = connection.recv(200).decode(errors="replace")
        connection.close()
    except OSError as error:
        print(f"Error: connect ECONNREFUSED {settings['REDIS_ADDR']} ({error})", file=sys.stderr, flush=True)
        sys.exit(1)
    if not reply.startswith("+OK"):
        print(f"ReplyError: {reply[1:].strip()}", file=sys.stderr, flush=True)
        sys.exit(1)
port = int(settings["PORT"])
host = settings["HOST"]

try:
    build = json.load(open(os.path.join(here, ".next", "build.json")))
except (OSError, ValueError):
    build = {"version": "none", "health": 500}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/status":
            healthy = int(build.get("health", 500)) == 200 and connects(settings.get("DATABASE_ADDR", "")) if settings.get("DATABASE_ADDR") else int(build.get("health", 500)) == 200
            status = 200 if healthy else 503
            body = json.dumps({"data": {"status": "healthy" if healthy else "unhealthy"}, "version": build.get("version", "?")})
        elif self.path in ("/health", "/api/health"):
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
signal.signal(signal.SIGHUP, reload)
print(f"Server listening on {host}:{port}, build {build.get('version')}", flush=True)
server.serve_forever()
