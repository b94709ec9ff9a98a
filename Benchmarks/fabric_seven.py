"""Fabric's side of Benchmarks/fleet.sh: the seven dependent commands on every host, one connection
per host (Fabric's Connection over paramiko), in one of two ways:
  group    Fabric's own way to run on many hosts: a ThreadingGroup runs each command on every host
           at once, then the next command (on the hosts where the previous one succeeded);
  threads  one thread per host running its seven commands in turn, up to FORKS hosts at a time.

Usage: fabric_seven.py group|threads INVENTORY KEY KNOWN_HOSTS FORKS COMMAND...; INVENTORY lines are
`name port user`. Exits 1 when any command failed on any host."""

import sys
from concurrent.futures import ThreadPoolExecutor

from fabric import Config, Connection, ThreadingGroup


def main() -> int:
    mode, inventory, key, known_hosts, forks = sys.argv[1:6]
    commands = sys.argv[6:]
    hosts = [line.split() for line in open(inventory) if line.strip()]
    config = Config(overrides={"load_ssh_configs": False})

    def connect(host):
        _, port, user = host
        connection = Connection(
            "127.0.0.1", user=user, port=int(port), config=config,
            connect_kwargs={"key_filename": key, "look_for_keys": False, "allow_agent": False},
        )
        connection.client.load_host_keys(known_hosts)
        return connection

    if mode == "group":
        group = ThreadingGroup.from_connections([connect(host) for host in hosts])
        try:
            for command in commands:
                results = group.run(command, hide=True, warn=True, in_stream=False)
                failed = [c for c, r in results.items() if isinstance(r, Exception) or r.exited != 0]
                if failed:
                    return 1
            return 0
        finally:
            group.close()

    def one(host):
        connection = connect(host)
        try:
            for command in commands:
                result = connection.run(command, hide=True, warn=True, in_stream=False)
                if result.exited != 0:
                    return False
            return True
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=int(forks)) as pool:
        results = list(pool.map(one, hosts))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
