import ArgumentParser
import Foundation
import Inventory

/// `runbook hosts [PATTERN]`: the hosts a pattern selects, with their groups, variables and connection.
struct HostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hosts", abstract: "List the hosts a pattern selects, with their variables.")

    @Argument(help: "A host pattern (default: all).")
    var pattern: String = "all"

    @Option(
        name: [.customShort("i"), .customLong("inventory")], help: "An inventory file, folder or `host1,host2,` list (repeatable).",
        completion: .file())
    var inventory: [String] = []

    @Option(name: [.customShort("l"), .customLong("limit")], help: "Only the hosts this pattern also selects.")
    var limit: String?

    @Option(help: "An ssh_config file to read instead of ~/.ssh/config.", completion: .file())
    var sshConfig: String?

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .customLong("list-hosts"), help: "Print only the host names, as `ansible --list-hosts` does.")
    var listHosts = false

    /// Variable names whose values are never printed.
    static func isSecretName(_ name: String) -> Bool { HostReport.isSecretName(name) }

    func run() throws {
        let hostPattern = HostPattern(pattern)
        let inventory = try InventoryFiles.load(explicit: inventory, runbookPath: nil, pattern: hostPattern)
        let ssh = try InventoryFiles.sshConfig(sshConfig)
        if hostPattern.isLocal(in: inventory) {
            switch format {
            case .text: Output.print("local  (the machine running runbook; no SSH)")
            case .json: Output.print("{\"schema_version\":1,\"hosts\":[{\"name\":\"local\",\"groups\":[],\"vars\":{},\"ssh\":null,\"become\":null}]}")
            }
            return
        }
        var names = try InventoryFiles.select(hostPattern, from: inventory)
        if let limit {
            let allowed = Set(try InventoryFiles.select(HostPattern(limit), from: inventory))
            names = names.filter { allowed.contains($0) }
        }
        if listHosts { throw InventoryFiles.listHosts(names) }
        let reports: [HostReport]
        do {
            reports = try HostReport.make(
                names: names, inventory: inventory, sshConfig: ssh, home: NSHomeDirectory(), localUser: SSHConfig.currentUser)
        } catch {
            Output.error("error: \(error.message)")
            throw ExitStatus.usage
        }
        switch format {
        case .json: Output.print(HostReport.json(reports))
        case .text: for report in reports { Output.print(report.textLines.joined(separator: "\n")) }
        }
    }
}
