import Foundation
import Inventory
import RunbookLanguage
import RunbookModel
import Supervisors
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Everything a run will do, on every selected host, before anything runs.
public struct RunPlan: Sendable {
    public var runbook: Runbook
    public var runID: String
    public var release: String
    public var inventorySource: String
    public var hosts: [HostPlan]
    public var rollout: RolloutPlan
}

/// Errors that stop a run before it starts (exit 2), each naming what and where.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]
    public init(_ messages: [String]) { self.messages = messages }
    public var description: String { messages.map { "error: \($0)" }.joined(separator: "\n") }
}

/// Command-line values that change a rollout.
public struct RolloutOverrides: Sendable {
    public var serial: HostCount?
    public var canary: Int?
    public var maxFail: HostCount?
    public var rollback: RollbackScope?

    public init(serial: HostCount? = nil, canary: Int? = nil, maxFail: HostCount? = nil, rollback: RollbackScope? = nil) {
        self.serial = serial
        self.canary = canary
        self.maxFail = maxFail
        self.rollback = rollback
    }

    func applied(to spec: RolloutSpec) -> RolloutSpec {
        var spec = spec
        if let serial { spec.serial = serial }
        if let canary { spec.canary = canary }
        if let maxFail { spec.maxFail = maxFail }
        if let rollback { spec.rollback = rollback }
        return spec
    }
}

/// Builds per-host plans: selects hosts, resolves and type-checks parameters, renders every action.
public struct Planner: Sendable {
    public var runbook: Runbook
    public var inventory: Inventory
    public var sshConfig: SSHConfig
    public var overrides: [String: String]
    public var rollout: RolloutOverrides
    public var runID: String
    public var release: String
    public var home: String
    public var localUser: String
    /// This machine's name, written in the owner file of the host locks the run takes.
    public var controller: String = ProcessInfo.processInfo.hostName
    /// Where host locks live when a host has no `runbook_lock_dir` (`RUNBOOK_LOCK_DIR`; default /tmp/runbook-locks).
    public var lockFolder: String? = ProcessInfo.processInfo.environment["RUNBOOK_LOCK_DIR"].flatMap { $0.isEmpty ? nil : $0 }

    public init(
        runbook: Runbook, inventory: Inventory, sshConfig: SSHConfig = .empty, overrides: [String: String] = [:],
        rollout: RolloutOverrides = RolloutOverrides(), runID: String, release: String, home: String = NSHomeDirectory(),
        localUser: String = SSHConfig.currentUser
    ) {
        self.runbook = runbook
        self.inventory = inventory
        self.sshConfig = sshConfig
        self.overrides = overrides
        self.rollout = rollout
        self.runID = runID
        self.release = release
        self.home = home
        self.localUser = localUser
    }

    /// A run id and release id for now: `20261124-063300-ab12` and `20261124063300`.
    public static func makeIDs(date: Date = Date()) -> (runID: String, release: String) {
        // libc's gmtime_r: Calendar and TimeZone would load ICU's data (megabytes of memory) for a timestamp.
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let stamp =
            pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1) + pad(parts.tm_mday) + pad(parts.tm_hour) + pad(parts.tm_min) + pad(parts.tm_sec)
        let suffix = String(format: "%04x", Int(UInt16.random(in: 0...UInt16.max)))
        return ("\(stamp.prefix(8))-\(stamp.suffix(6))-\(suffix)", stamp)
    }

    public func plan(hosts pattern: HostPattern) throws(PlanningError) -> RunPlan {
        var errors: [String] = []
        for key in overrides.keys.sorted() where runbook.param(named: key) == nil {
            errors.append(
                "--set \(key)=...: the runbook `\(runbook.name)` has no parameter `\(key)`"
                    + Suggestion.hint(for: key, in: runbook.params.map(\.name)))
        }
        let selected: [(name: String, variables: [String: InventoryValue], connection: HostConnection)]
        if pattern.isLocal(in: inventory) {
            selected = [(HostPattern.localName, [:], HostConnection.local(user: localUser))]
        } else {
            do {
                selected = try pattern.select(from: inventory).compactMap { name in
                    guard let host = inventory.host(named: name) else { return nil }
                    let variables = inventory.variables(of: host)
                    let connection = HostConnection.resolve(name: name, variables: variables, sshConfig: sshConfig, home: home, localUser: localUser)
                    return (name, variables, connection)
                }
            } catch {
                throw PlanningError(errors + [error.message])
            }
        }
        // One message per problem, naming every host that has it.
        var problems: [String: [String]] = [:]
        var problemOrder: [String] = []
        func report(_ message: String, host: String) {
            if problems[message] == nil { problemOrder.append(message) }
            problems[message, default: []].append(host)
        }
        var stepHosts: [String: Set<String>] = [:]
        for step in runbook.steps {
            guard let pattern = step.hostPattern else { continue }
            if pattern == HostPattern.localName {
                stepHosts[step.name] = [HostPattern.localName]
                continue
            }
            do {
                stepHosts[step.name] = Set(try HostPattern(pattern).select(from: inventory))
            } catch {
                errors.append("the step `\(step.name)` has `on: \"\(pattern)\"`: \(error.message)")
            }
        }
        let hostsOfSteps = stepHosts
        let outcomes = Parallel.map(selected.map { SelectedHost(name: $0.name, variables: $0.variables, connection: $0.connection) }) {
            host in planHost(host, stepHosts: hostsOfSteps)
        }
        var plans: [HostPlan] = []
        for (host, outcome) in zip(selected, outcomes) {
            switch outcome {
            case .success(let plan): plans.append(plan)
            case .failure(let failure): for message in failure.messages { report(message, host: host.name) }
            }
        }
        for message in problemOrder {
            let hosts = problems[message] ?? []
            errors.append("\(message) (host\(hosts.count == 1 ? "" : "s"): \(Self.abbreviated(hosts)))")
        }
        if let name = runbook.lock.name, !LockPlan.isValidName(name) {
            errors.append("`lock \"\(name)\"`: a lock name may hold only letters, digits, `.`, `_` and `-`")
        }
        if !errors.isEmpty { throw PlanningError(errors) }
        let spec = rollout.applied(to: runbook.rollout)
        return RunPlan(
            runbook: runbook, runID: runID, release: release, inventorySource: inventory.source, hosts: plans,
            rollout: RolloutPlan(hosts: plans.map(\.host), spec: spec))
    }

    struct SelectedHost: Sendable {
        var name: String
        var variables: [String: InventoryValue]
        var connection: HostConnection
    }

    /// One host's plan, or the problems that stop it; pure, so hosts are planned in parallel.
    func planHost(_ host: SelectedHost, stepHosts: [String: Set<String>]) -> Result<HostPlan, PlanningError> {
        let (values, paramProblems) = ParamResolver.resolve(runbook: runbook, hostVariables: host.variables, overrides: overrides)
        if !paramProblems.isEmpty { return .failure(PlanningError(paramProblems.map(\.message))) }
        let builtins = [
            "host": host.name, "host.name": host.name, "host.address": host.connection.address,
            "host.port": String(host.connection.port), "host.user": host.connection.user, "run.id": runID, "release": release,
        ]
        let hostValues = HostValues(params: values, builtins: builtins)
        var supervisorKind = runbook.supervisor
        if let word = host.variables["supervisor"]?.description, !word.isEmpty {
            guard let kind = SupervisorKind(rawValue: word) else {
                let kinds = SupervisorKind.allCases.map(\.rawValue)
                return .failure(
                    PlanningError([
                        "the inventory variable `supervisor` is `\(word)`; it must be one of " + kinds.joined(separator: ", ")
                            + Suggestion.hint(for: word, in: kinds)
                    ]))
            }
            supervisorKind = kind
        }
        let supervisorCommand = host.variables["supervisor_command"]?.description
        let lockFolder = host.variables["runbook_lock_dir"]?.description ?? self.lockFolder
        let adapter = supervisorKind.map { Supervisors.adapter(for: $0, command: supervisorCommand) }
        let planner = ActionPlanner(renderer: ValueRenderer(values: hostValues), supervisor: adapter, runID: runID)
        do {
            var steps: [PlannedStep] = []
            for name in runbook.graph.order {
                guard let step = runbook.steps.first(where: { $0.name == name }) else { continue }
                if let hosts = stepHosts[name], !hosts.contains(host.name) { continue }
                var actions: [PlannedAction] = []
                for action in step.actions {
                    do {
                        actions.append(try planner.plan(action))
                    } catch {
                        throw ActionPlanner.Failure(message: "step `\(name)` (line \(action.location.line)): \(error.message)")
                    }
                }
                // A step's timeout caps every command in it, fixed now: nothing is computed at run time.
                let cap = step.timeout?.seconds
                actions = actions.map { $0.mapCommands(undo: false) { $0.capped(at: cap) } }
                steps.append(
                    PlannedStep(
                        name: name, wave: runbook.graph.wave(of: name) ?? 0, after: runbook.graph.dependencies[name] ?? [],
                        timeout: step.timeout, retries: step.retries, retryDelay: step.retryDelay, actions: actions))
            }
            var verifications: [PlannedVerification] = []
            for verification in runbook.verifications {
                var checks: [PlannedCheck] = []
                for assertion in verification.assertions {
                    do {
                        checks.append(try planner.plan(assertion))
                    } catch {
                        throw ActionPlanner.Failure(message: "\(verification.name) (line \(assertion.location.line)): \(error.message)")
                    }
                }
                verifications.append(
                    PlannedVerification(
                        name: verification.name, after: runbook.graph.verificationDependencies[verification.name] ?? [],
                        within: verification.within, checks: checks, logs: planner.logCommands(checks)))
            }
            var precheck: PlannedVerification?
            if let block = runbook.precheck {
                var checks: [PlannedCheck] = []
                for assertion in block.assertions {
                    do {
                        checks.append(try planner.plan(assertion))
                    } catch {
                        throw ActionPlanner.Failure(message: "precheck (line \(assertion.location.line)): \(error.message)")
                    }
                }
                precheck = PlannedVerification(name: "precheck", after: [], within: block.within, checks: checks, logs: planner.logCommands(checks))
            }
            var rollback: [PlannedAction] = []
            for action in runbook.rollback {
                do {
                    rollback.append(try planner.plan(action))
                } catch {
                    throw ActionPlanner.Failure(message: "the rollback block (line \(action.location.line)): \(error.message)")
                }
            }
            if host.connection.become {
                // ansible_become: every change and its undo run through `sudo -n` (the starter runs inside it).
                guard host.connection.becomeUser == "root" else {
                    throw ActionPlanner.Failure(message: "ansible_become_user \(host.connection.becomeUser): runbook becomes root only (sudo -n)")
                }
                steps = steps.map { step in
                    var copy = step
                    copy.actions = step.actions.map {
                        var action = $0.mapCommands(undo: true) { command in Self.withSudo(command) }
                        // The finish runs as the connecting user (it owns the lock and the kept folder):
                        // what root moved aside is removed as root, or it stays in root's folders forever.
                        action.cleanup = action.cleanup.map { "sudo -n sh -c " + $0.quoted }
                        return action
                    }
                    return copy
                }
                rollback = rollback.map { $0.mapCommands(undo: true) { command in Self.withSudo(command) } }
            }
            var plan = HostPlan(
                host: host.name, connection: host.connection, supervisor: supervisorKind, supervisorCommand: supervisorCommand,
                steps: steps, verifications: verifications, rollback: rollback, precheck: precheck, secrets: hostValues.secrets,
                lockFolder: lockFolder)
            plan.secretValues = hostValues.secretValues
            let lock = runbook.lock.enabled ? LockPlan(folder: lockFolder, name: runbook.lock.name, runID: runID, controller: controller) : nil
            let actions = steps.flatMap(\.actions) + rollback
            let checks = (verifications + (precheck.map { [$0] } ?? [])).flatMap(\.checks)
            let requirements = Set(actions.flatMap(\.requirements)).union(checks.flatMap(\.commands).flatMap(\.requirements))
            plan.start = HostBookends.start(lock: lock, requirements: requirements)
            let cleanup = steps.flatMap(\.actions).flatMap(\.cleanup)
            let kept = try Self.keptBackups(host, runID: runID)
            if !cleanup.isEmpty { plan.keptBackups = kept }
            plan.finish = HostBookends.finish(lock: lock, cleanup: cleanup, kept: kept)
            plan.release = HostBookends.release(lock: lock)
            // With rollback: :fleet a passed host may still roll back: it keeps its lock to the end.
            let fleet = rollout.applied(to: runbook.rollout).rollback == .fleet
            if let lock, !fleet, plan.verifications.isEmpty, steps.flatMap(\.actions).flatMap(\.cleanup).isEmpty,
                let ridden = HostBookends.ride(lock, on: steps)
            {
                plan.steps = ridden
                plan.finish = nil
                plan.releaseRides = true
            }
            plan.chains = CommandChain.chains(of: plan.steps, verifications: plan.verifications)
            return .success(plan)
        } catch let failure as ActionPlanner.Failure {
            return .failure(PlanningError([failure.message]))
        } catch {
            return .failure(PlanningError(["\(error)"]))
        }
    }

    /// `runbook_keep_backups` (a count, 0 or more) and `runbook_backups_dir` of a host.
    static func keptBackups(_ host: SelectedHost, runID: String) throws(ActionPlanner.Failure) -> KeptBackups {
        var count = KeptBackups.defaultCount
        if let value = host.variables[KeptBackups.countVariable]?.description {
            guard let parsed = Int(value.trimmingCharacters(in: .whitespaces)), parsed >= 0, parsed <= 1000 else {
                throw ActionPlanner.Failure(message: "the inventory variable `\(KeptBackups.countVariable)` is `\(value)`; it must be a count from 0 to 1000")
            }
            count = parsed
        }
        let folder = host.variables[KeptBackups.folderVariable]?.description
        if let folder, folder.isEmpty || folder.contains("\n") || folder.contains("\0") {
            throw ActionPlanner.Failure(message: "the inventory variable `\(KeptBackups.folderVariable)` must be a path")
        }
        return KeptBackups(folder: folder, host: host.name, runID: runID, count: count)
    }

    static func withSudo(_ command: HostCommand) -> HostCommand {
        var copy = command
        copy.sudo = true
        return copy
    }

    static func abbreviated(_ hosts: [String]) -> String {
        hosts.count <= 10 ? hosts.joined(separator: ", ") : hosts.prefix(10).joined(separator: ", ") + " and \(hosts.count - 10) more"
    }
}
