import ArgumentParser
import Foundation
import Inventory

/// `runbook hosts [PATTERN]`: the hosts a pattern selects, with their connection and variables.
struct HostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hosts", abstract: "List the hosts a pattern selects, with their variables.")

    @Argument(help: "A host pattern (default: all).")
    var pattern: String = "all"

    @Option(help: "The inventory file.")
    var inventory: String?

    @Option(help: "An ssh_config file to read instead of ~/.ssh/config.")
    var sshConfig: String?

    /// Variable names whose values are never printed.
    static func isSecretName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["pass", "secret", "token", "passphrase", "api_key", "apikey", "credential"].contains { lowered.contains($0) }
    }

    func run() throws {
        let hostPattern = HostPattern(pattern)
        let inventory = try InventoryFiles.load(explicit: inventory, runbookPath: nil, pattern: hostPattern)
        let ssh = try InventoryFiles.sshConfig(sshConfig)
        if hostPattern.isLocal(in: inventory) {
            Output.print("local  (the machine running runbook; no SSH)")
            return
        }
        let names = try InventoryFiles.select(hostPattern, from: inventory)
        let home = NSHomeDirectory()
        let localUser = SSHConfig.currentUser
        for name in names {
            guard let host = inventory.host(named: name) else { continue }
            let variables = inventory.variables(of: host)
            let connection = HostConnection.resolve(
                name: name, variables: variables, sshConfig: ssh, home: home, localUser: localUser)
            Output.print("\(name)  \(connection.summary)  groups: \(host.groups.joined(separator: ", "))")
            for key in variables.keys.sorted() {
                let value = Self.isSecretName(key) ? "••••" : (variables[key]?.description ?? "")
                Output.print("    \(key) = \(value)")
            }
        }
    }
}
