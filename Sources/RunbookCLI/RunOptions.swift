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
    @ArgumentParser.Argument(help: "The runbook file.", completion: .file(extensions: ["rb"]))
    var file: String

    @Option(
        help: "The hosts to run on: an Ansible host pattern (all, web, web[0], web*, web:&prod, web:!web3); required when an inventory is found, else local."
    )
    var hosts: String?

    @Option(
        name: [.customShort("i"), .customLong("inventory")], help: "An inventory file, folder or `host1,host2,` list (repeatable, merged in order).",
        completion: .file())
    var inventory: [String] = []

    @Option(name: [.customShort("l"), .customLong("limit")], help: "Only the hosts this pattern also selects (alone: all hosts in the limit).")
    var limit: String?

    @Option(
        name: [.customShort("e"), .customLong("set")],
        help: "Set a parameter: name=value, @FILE (YAML or JSON) or a JSON/YAML mapping (repeatable; wins over the inventory).")
    var assignments: [String] = []

    @Option(name: [.customShort("u"), .customLong("user")], help: "The SSH user where the inventory sets no ansible_user.")
    var user: String?

    @Flag(name: [.customShort("b"), .customLong("become")], help: "Run commands through sudo where the inventory sets no ansible_become.")
    var become = false

    @Flag(name: .customLong("list-hosts"), help: "Print the hosts the pattern selects and stop.")
    var listHosts = false

    @Option(
        name: .customLong("set-file"),
        help: "Set a parameter to a file's content: --set-file name=PATH (one trailing newline removed; for secrets, instead of --set).")
    var fileAssignments: [String] = []

    @Option(help: "Hosts per batch: a count or a percentage (overrides `rollout serial:`).")
    var serial: String?

    @Option(help: "Hosts run alone first (overrides `rollout canary:`).")
    var canary: Int?

    @Option(help: "Failures tolerated before the rollout stops: a count or a percentage.")
    var maxFail: String?

    @Option(help: "What a stopped rollout rolls back: host, fleet or none.", completion: .list(["host", "fleet", "none"]))
    var rollback: String?

    @Flag(help: "Leave failed hosts as they are instead of rolling them back.")
    var noRollback = false

    @Option(name: [.customShort("f"), .customLong("forks")], help: "Hosts worked on at the same time.")
    var forks: Int = 50

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Colour text output: auto (a terminal, unless NO_COLOR is set), always or never; JSON never has colour.")
    var color: ColorChoice = .auto

    @Option(help: "The run journal (default: ~/.local/state/runbook/journal).", completion: .directory)
    var journal: String?

    // Shared state (SharedState.swift): runs and host leases in PostgreSQL.
    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE); runs and host leases are kept there instead of the journal.")
    var state: String?

    @Flag(
        help:
            "Run without a journal (`runbook rollback RUN` cannot undo such a run); without it, a journal that cannot be written stops the run before it starts."
    )
    var noJournal = false

    @Option(help: "Keep the newest N runs in the journal; older finished runs are removed when a run ends (default: RUNBOOK_JOURNAL_KEEP, else 1000).")
    var journalKeep: Int?

    /// `--journal-keep`, else `RUNBOOK_JOURNAL_KEEP`, else 1000.
    var journalKeepCount: Int {
        journalKeep ?? ProcessInfo.processInfo.environment["RUNBOOK_JOURNAL_KEEP"].flatMap { Int($0) } ?? 1000
    }

    @Option(help: "An ssh_config file read alone, as `ssh -F` (default: ~/.ssh/config, then /etc/ssh/ssh_config).", completion: .file())
    var sshConfig: String?

    @Flag(help: "Trust and record host keys not yet in known_hosts (never changed ones).")
    var acceptNewHostKeys = false

    @Flag(
        name: .customShort("v"),
        help:
            "More detail on standard error: -v runbook's notes (inventory, hosts, connections, journal), -vv every command as it starts, -vvv each SSH connection's set-up."
    )
    var verbose: Int

    @Option(help: .hidden)
    var runID: String?

    /// The release id of a saved plan being applied (with its run id).
    @Option(help: .hidden)
    var release: String?

    func validate() throws {
        for assignment in assignments where !assignment.contains("=") && !assignment.hasPrefix("@") && !assignment.hasPrefix("{") {
            throw ValidationError("--set takes name=value, @FILE or a mapping, not `\(assignment)`")
        }
        if let serial, HostCount(parsing: serial) == nil { throw ValidationError("--serial takes a count or a percentage such as 25%, not `\(serial)`") }
        if let maxFail, HostCount(parsing: maxFail) == nil {
            throw ValidationError("--max-fail takes a count or a percentage such as 10%, not `\(maxFail)`")
        }
        if let rollback, RollbackScope(rawValue: rollback) == nil { throw ValidationError("--rollback takes host, fleet or none, not `\(rollback)`") }
        if let canary, canary < 0 { throw ValidationError("--canary takes 0 or more hosts") }
        if forks < 1 { throw ValidationError("--forks takes 1 or more") }
        // Both name files (the journal, backups on hosts) and come from a saved plan's file: only
        // name characters, so a plan edited by hand cannot point them at other paths.
        for (option, value) in [("--run-id", runID), ("--release", release)] {
            if let value, !Self.isIdentifier(value) {
                throw ValidationError("\(option) takes letters, digits, `.`, `_` and `-` (at most 64, not starting with `.`), not `\(value)`")
            }
        }
    }

    static func isIdentifier(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 64 && !value.hasPrefix(".") && !value.hasPrefix("-")
            && value.unicodeScalars.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars.contains($0) }
    }

    /// `-e` values, later ones winning; `@FILE` and mappings are read as YAML (JSON is YAML).
    var overrides: [String: String] {
        (try? readOverrides()) ?? [:]
    }

    func readOverrides() throws(Diagnostic) -> [String: String] {
        var result: [String: String] = [:]
        for assignment in assignments {
            if assignment.hasPrefix("@") || assignment.hasPrefix("{") {
                let values =
                    assignment.hasPrefix("@") ? try ExtraVars.load(path: String(assignment.dropFirst())) : try ExtraVars.parse(assignment)
                for (name, value) in values { result[name] = value.description }
                continue
            }
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
        LogSink.shared.level = Verbosity.level(verbose)
        let runbook = try RunbookFiles.loadOrExit(file)
        let (inventory, pattern) = try selection()
        let ssh = try InventoryFiles.sshConfig(sshConfig)
        CLILog.notes.info("ssh_config: \(sshConfig ?? "~/.ssh/config")")
        let extra: [String: String]
        do {
            extra = try readOverrides()
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
        let ids = Planner.makeIDs()
        let values: [String: String]
        do throws(SecretInputs.Problem) {
            values = try SecretInputs.overrides(
                runbook: runbook, set: extra, files: SecretInputs.readFiles(fileAssignments), environment: ProcessInfo.processInfo.environment
            ) {
                guard !pattern.isLocal(in: inventory), let names = try? pattern.select(from: inventory) else { return [] }
                return names.compactMap { inventory.host(named: $0).map(inventory.variables(of:)) }
            }
        } catch {
            Output.error("error: \(error.message)")
            throw ExitStatus.usage
        }
        let planner = Planner(
            runbook: runbook, inventory: inventory, sshConfig: ssh, overrides: values, rollout: rolloutOverrides,
            runID: runID ?? ids.runID, release: release ?? runID.map { _ in "20000101000000" } ?? ids.release)
        do {
            let plan = try planner.plan(hosts: pattern)
            CLILog.notes.info(
                "run \(plan.runID), release \(plan.release): \(plan.rollout.batches.count) batch(es): \(plan.rollout.batches.map { $0.joined(separator: ",") }.joined(separator: " | "))"
            )
            return plan
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }

    /// The inventory and the pattern of the hosts to plan for: `--hosts` narrowed by `--limit`. With an
    /// inventory found, `--hosts` (or `--limit`) is required: runbook never falls back to this machine.
    func selection() throws -> (Inventory, HostPattern) {
        let located = InventoryFiles.locate(inventory, runbookPath: file)
        guard let hostsText = hosts ?? limit.map({ _ in "all" }) ?? (located.paths.isEmpty ? HostPattern.localName : nil) else {
            Output.error(
                "error: an inventory was found (\(located.paths.joined(separator: ", ")), from \(located.origin)): say which hosts with --hosts PATTERN (all, a group, a host), or --hosts local for this machine"
            )
            throw ExitStatus.usage
        }
        var pattern = HostPattern(hostsText)
        if !located.paths.isEmpty { CLILog.notes.info("inventory: \(located.paths.joined(separator: ", ")) (from \(located.origin))") }
        var inventory = try InventoryFiles.load(located, pattern: pattern)
        if let user { inventory.commandLineDefaults["ansible_user"] = .string(user) }
        if become { inventory.commandLineDefaults["ansible_become"] = .bool(true) }
        if pattern.isLocal(in: inventory) {
            if limit != nil {
                Output.error("error: --limit selects inventory hosts; it does not apply to --hosts local")
                throw ExitStatus.usage
            }
            if listHosts { throw InventoryFiles.listHosts([HostPattern.localName]) }
            return (inventory, pattern)
        }
        var names = try InventoryFiles.select(pattern, from: inventory)
        if let limit {
            let allowed = Set(try InventoryFiles.select(HostPattern(limit), from: inventory))
            names = names.filter { allowed.contains($0) }
            guard !names.isEmpty else {
                Output.error("error: no host of --hosts \(hostsText) is in --limit \(limit)")
                throw ExitStatus.usage
            }
            pattern = HostPattern(names.joined(separator: ","))
        }
        try InventoryFiles.check(names, in: inventory)
        CLILog.notes.info("hosts: \(names.joined(separator: ", ")) (--hosts \(hostsText)\(limit.map { " --limit \($0)" } ?? ""))")
        if listHosts { throw InventoryFiles.listHosts(names) }
        return (inventory, pattern)
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

    /// The inventory sources the search order finds.
    static func locate(_ explicit: [String], runbookPath: String?) -> (paths: [String], origin: String) {
        InventoryLoader.locate(
            explicit: explicit, runbookPath: runbookPath, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// Reads the located sources; with none, only `--hosts local` has hosts.
    static func load(_ located: (paths: [String], origin: String), pattern: HostPattern) throws -> Inventory {
        guard !located.paths.isEmpty else {
            if pattern.text == HostPattern.localName { return Inventory.localOnly() }
            Output.error(
                "error: no inventory for --hosts \(pattern.text): give -i PATH, set RUNBOOK_INVENTORY or ANSIBLE_INVENTORY, or create inventory/hosts.yml"
            )
            throw ExitStatus.usage
        }
        do {
            return try InventoryLoader.load(paths: located.paths)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }

    static func load(explicit: [String], runbookPath: String?, pattern: HostPattern) throws -> Inventory {
        try load(locate(explicit, runbookPath: runbookPath), pattern: pattern)
    }

    /// A journal's inventory: its sources one per line.
    static func load(explicit: String?, runbookPath: String?, pattern: HostPattern) throws -> Inventory {
        let paths = explicit.map { $0.split(separator: "\n").map(String.init) } ?? []
        return try load(explicit: paths, runbookPath: runbookPath, pattern: pattern)
    }

    /// Refuses hosts whose variables runbook cannot honour (Jinja, passwords, vault, other connections).
    static func check(_ names: [String], in inventory: Inventory) throws {
        for name in names {
            guard let host = inventory.host(named: name) else { continue }
            do {
                _ = try inventory.checkedVariables(of: host)
            } catch {
                Output.error("error: \(error.message)")
                throw ExitStatus.usage
            }
        }
    }

    /// Prints the selected hosts as `ansible --list-hosts` does; the returned status ends the command.
    static func listHosts(_ names: [String]) -> ExitCode {
        Output.print("  hosts (\(names.count)):")
        for name in names { Output.print("    \(name)") }
        return ExitCode.success
    }

    static func sshConfig(_ explicit: String?) throws -> SSHConfig {
        if let explicit, explicit.lowercased() != "none", !FileManager.default.fileExists(atPath: explicit) {
            Output.error("error: --ssh-config \(explicit): the file does not exist")
            throw ExitStatus.usage
        }
        do {
            // As ssh: the given file alone (like -F), else ~/.ssh/config then /etc/ssh/ssh_config.
            return try SSHConfig.load(explicit: explicit)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }
}
