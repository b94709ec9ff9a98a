import ArgumentParser
import Foundation
import Inventory
import Planning
import RunbookLanguage
import RunbookModel

/// Output formats of `plan` and `apply`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The options `apply` and `plan` share.
struct RunOptions: ParsableArguments {
    @ArgumentParser.Argument(help: "The runbook file.")
    var file: String

    @Option(help: "The hosts to run on: an Ansible host pattern (all, web, web*, web:&prod, web:!web3); default local.")
    var hosts: String = HostPattern.localName

    @Option(help: "The inventory file (default: $RUNBOOK_INVENTORY, then inventory/hosts.yml or hosts.ini).")
    var inventory: String?

    @Option(name: .customLong("set"), help: "Set a parameter: --set name=value (repeatable; wins over the inventory).")
    var assignments: [String] = []

    @Option(help: "Hosts per batch: a count or a percentage (overrides `rollout serial:`).")
    var serial: String?

    @Option(help: "Hosts run alone first (overrides `rollout canary:`).")
    var canary: Int?

    @Option(help: "Failures tolerated before the rollout stops: a count or a percentage.")
    var maxFail: String?

    @Option(help: "What a stopped rollout rolls back: host, fleet or none.")
    var rollback: String?

    @Flag(help: "Leave failed hosts as they are instead of rolling them back.")
    var noRollback = false

    @Option(help: "Hosts worked on at the same time.")
    var forks: Int = 50

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "The run journal (default: ~/.local/state/runbook/journal).")
    var journal: String?

    @Flag(
        help:
            "Run without a journal (`runbook rollback RUN` cannot undo such a run); without it, a journal that cannot be written stops the run before it starts."
    )
    var noJournal = false

    @Option(help: "An ssh_config file to read instead of ~/.ssh/config.")
    var sshConfig: String?

    @Flag(help: "Trust and record host keys not yet in known_hosts (never changed ones).")
    var acceptNewHostKeys = false

    @Option(help: .hidden)
    var runID: String?

    func validate() throws {
        for assignment in assignments where !assignment.contains("=") {
            throw ValidationError("--set takes name=value, not `\(assignment)`")
        }
        if let serial, HostCount(parsing: serial) == nil { throw ValidationError("--serial takes a count or a percentage such as 25%, not `\(serial)`") }
        if let maxFail, HostCount(parsing: maxFail) == nil {
            throw ValidationError("--max-fail takes a count or a percentage such as 10%, not `\(maxFail)`")
        }
        if let rollback, RollbackScope(rawValue: rollback) == nil { throw ValidationError("--rollback takes host, fleet or none, not `\(rollback)`") }
        if let canary, canary < 0 { throw ValidationError("--canary takes 0 or more hosts") }
        if forks < 1 { throw ValidationError("--forks takes 1 or more") }
    }

    var overrides: [String: String] {
        var result: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            result[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return result
    }

    var rolloutOverrides: RolloutOverrides {
        RolloutOverrides(
            serial: serial.flatMap(HostCount.init(parsing:)), canary: canary, maxFail: maxFail.flatMap(HostCount.init(parsing:)),
            rollback: rollback.flatMap(RollbackScope.init(rawValue:)))
    }

    /// Loads the runbook, inventory and ssh_config and makes the plan; any error exits 2 before anything runs.
    func makePlan() throws -> RunPlan {
        let runbook = try RunbookFiles.loadOrExit(file)
        let pattern = HostPattern(hosts)
        let inventory = try InventoryFiles.load(explicit: inventory, runbookPath: file, pattern: pattern)
        let ssh = try InventoryFiles.sshConfig(sshConfig)
        let ids = Planner.makeIDs()
        let planner = Planner(
            runbook: runbook, inventory: inventory, sshConfig: ssh, overrides: overrides, rollout: rolloutOverrides,
            runID: runID ?? ids.runID, release: runID.map { _ in "20000101000000" } ?? ids.release)
        do {
            return try planner.plan(hosts: pattern)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }
}

/// Finds and reads inventories and ssh_config for the commands, exiting 2 on errors.
enum InventoryFiles {
    /// The inventory hosts a (non-local) pattern selects; a pattern naming nothing is a usage error.
    static func select(_ pattern: HostPattern, from inventory: Inventory) throws -> [String] {
        do {
            return try pattern.select(from: inventory)
        } catch {
            Output.error("error: \(error.message)")
            throw ExitStatus.usage
        }
    }

    static func load(explicit: String?, runbookPath: String?, pattern: HostPattern) throws -> Inventory {
        let path = InventoryLoader.locate(
            explicit: explicit, runbookPath: runbookPath, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
        guard let path else {
            if pattern.text == HostPattern.localName { return Inventory.localOnly() }
            Output.error(
                "error: no inventory for --hosts \(pattern.text): give --inventory PATH, set RUNBOOK_INVENTORY, or create inventory/hosts.yml")
            throw ExitStatus.usage
        }
        do {
            return try InventoryLoader.load(path: path)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }

    static func sshConfig(_ explicit: String?) throws -> SSHConfig {
        let path = explicit ?? NSHomeDirectory() + "/.ssh/config"
        if let explicit, !FileManager.default.fileExists(atPath: explicit) {
            Output.error("error: --ssh-config \(explicit): the file does not exist")
            throw ExitStatus.usage
        }
        do {
            return try SSHConfig.load(path: path)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }
}
