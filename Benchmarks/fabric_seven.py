"""Fabric's side of Benchmarks/fleet.sh: the seven dependent commands on every host, one thread and
one connection per host (Fabric's Connection over paramiko), up to FORKS hosts at a time.

Usage: fabric_seven.py INVENTORY KEY KNOWN_HOSTS FORKS COMMAND...; INVENTORY lines are `name port user`.
Exits 1 when any command failed on any host."""

import sys
from concurrent.futures import ThreadPoolExecutor

from fabric import Config, Connection


def main() -> int:
    inventory, key, known_hosts, forks = sys.argv[1:5]
    commands = sys.argv[5:]
    hosts = [line.split() for line in open(inventory) if line.strip()]
    config = Config(overrides={"load_ssh_configs": False})

    def one(host):
        _, port, user = host
        connection = Connection(
            "127.0.0.1", user=user, port=int(port), config=config,
            connect_kwargs={"key_filename": key, "look_for_keys": False, "allow_agent": False},
        )
        connection.client.load_host_keys(known_hosts)
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
