import ArgumentParser
import Execution
import Foundation
import Inventory
import Transport

/// `runbook unlock --hosts PATTERN [--force]`: releases host locks left by a dead run.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Release host locks left by a run that died.")

    @Option(help: "The hosts: an Ansible host pattern.")
    var hosts: String

    @Option(help: "Only this lock (default: every runbook lock on the hosts).")
    var lock: String?

    @Flag(help: "Remove locks even when their run may be alive or ran from another machine.")
    var force = false

    @Option(
        name: [.customShort("i"), .customLong("inventory")], help: "An inventory file, folder or `host1,host2,` list (repeatable).",
        completion: .file())
    var inventory: [String] = []

    @Option(help: "An ssh_config file to read instead of ~/.ssh/config.", completion: .file())
    var sshConfig: String?

    @Flag(help: "Trust and record host keys not yet in known_hosts.")
    var acceptNewHostKeys = false

    // Shared state (SharedState.swift): with --force, the hosts' leases are removed too.
    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE): with --force, also remove the hosts' leases.")
    var state: String?

    func run() async throws {
        let pattern = HostPattern(hosts)
        let inventory = try InventoryFiles.load(explicit: inventory, runbookPath: nil, pattern: pattern)
        let ssh = try InventoryFiles.sshConfig(sshConfig)
        let names = pattern.isLocal(in: inventory) ? [HostPattern.localName] : try InventoryFiles.select(pattern, from: inventory)
        let home = NSHomeDirectory()
        let factory = TransportFactory(acceptNewHostKeys: acceptNewHostKeys, home: home)
        let connections = names.map { name in
            name == HostPattern.localName && inventory.host(named: name) == nil
                ? HostConnection.local(user: SSHConfig.currentUser)
                : HostConnection.resolve(
                    name: name, variables: inventory.host(named: name).map { inventory.variables(of: $0) } ?? [:], sshConfig: ssh, home: home,
                    localUser: SSHConfig.currentUser)
        }
        try SharedState.unlock(names: names, connections: connections, state: state, force: force)
        var failed = false
        for name in names {
            let connection =
                name == HostPattern.localName && inventory.host(named: name) == nil
                ? HostConnection.local(user: SSHConfig.currentUser)
                : HostConnection.resolve(
                    name: name, variables: inventory.host(named: name).map { inventory.variables(of: $0) } ?? [:], sshConfig: ssh, home: home,
                    localUser: SSHConfig.currentUser)
            // Cached per key file: asked for the first host that needs it only.
            factory.preparePassphrases(for: [connection])
            let transport = factory.transport(host: name, connection: connection)
            let folder = inventory.host(named: name).flatMap { inventory.variables(of: $0)["runbook_lock_dir"]?.description }
            do throws(TransportError) {
                let found = try await LockAdmin.unlock(on: transport, folder: folder, name: lock, force: force)
                if found.isEmpty { Output.print("\(name): no runbook lock") }
                for entry in found {
                    Output.print("\(name): \(entry.name): \(entry.removed ? "removed" : "kept") (\(entry.reason)); held by \(entry.holder)")
                }
            } catch {
                Output.error("\(name): \(error.message)")
                failed = true
            }
            await transport.close()
        }
        if failed { throw ExitStatus.failed }
    }
}
