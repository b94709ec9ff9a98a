import Execution
import Foundation
import Inventory
import Planning
import RunEvents
import RunbookLanguage
import RunbookModel
import TestSupport
import Transport

/// Collects a run's events from the bus.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RunEvent] = []
    func add(_ event: RunEvent) { lock.withLock { items.append(event) } }
    var all: [RunEvent] { lock.withLock { items } }

    /// The JSON lines `--format json` would print.
    var jsonLines: [String] {
        all.map(\.jsonLine)
    }

    /// The steps that failed, with their status: "a 5" (-1 without one).
    var failedSteps: [String] {
        all.compactMap { event in
            guard case .stepFinished(let step, false, let status, _, _) = event.kind else { return nil }
            return "\(step) \(status ?? -1)"
        }
    }

    /// Every output line as "step:stream:text".
    var outputs: [String] {
        all.compactMap { event in
            guard case .output(let step, let stream, let text) = event.kind else { return nil }
            return "\(step):\(stream):\(text)"
        }
    }

    func undos(_ host: String? = nil) -> [String] {
        all.compactMap { event in
            guard host == nil || event.host == host, case .undo(let step, _, _, _, _) = event.kind else { return nil }
            return step
        }
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A folder on the test hosts that the login user may write to.
func workFolder(_ name: String = "work") throws -> String {
    let path = try shell("mktemp -d /tmp/runbook-it-\(name)-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
    try shell("chmod 777 \(path)")
    return path
}

/// Plans a runbook body for SSH test servers (or the local machine when `servers` is empty) and runs it.
func apply(
    _ body: String, on servers: [TestSSHServer] = [], vars: [[String: String]] = [], set: [String: String] = [:], rollback: Bool = true,
    rollout: RolloutOverrides = RolloutOverrides(), forks: Int = 50, stop: StopSignal = StopSignal(),
    transports: (@Sendable (String) -> any Transport)? = nil, planned: ((RunPlan) -> Void)? = nil, keepConnected: Int = 200
) async throws -> (RunSummary, EventLog) {
    let text =
        body.hasPrefix("runbooks/")
        ? try String(contentsOf: repositoryRoot.appendingPathComponent(body), encoding: .utf8)
        : "runbook \"t-\(UUID().uuidString.prefix(8))\" do\n\(body)\nend\n"
    let runbook = try Validator.load(SourceFile(path: body.hasPrefix("runbooks/") ? body : "t.rb", text: text)).get()
    let inventory: Inventory
    var sshConfig = SSHConfig.empty
    let pattern: HostPattern
    if servers.isEmpty {
        inventory = Inventory.localOnly()
        pattern = HostPattern(HostPattern.localName)
    } else {
        var lines = ["[fleet]"]
        for (index, server) in servers.enumerated() {
            let extra = (index < vars.count ? vars[index] : [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
            lines.append(
                (["h\(index) ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_user=\(server.user) ansible_ssh_private_key_file=\(server.clientKey)"]
                    + extra).joined(separator: " "))
        }
        inventory = try InventoryLoader.parse(lines.joined(separator: "\n") + "\n", path: "hosts.ini")
        let knownHosts = try workFolder("known") + "/known_hosts"
        try servers.map { try String(contentsOfFile: $0.knownHosts, encoding: .utf8) }.joined().write(
            toFile: knownHosts, atomically: true, encoding: .utf8)
        sshConfig = try SSHConfig.parse("Host *\n  UserKnownHostsFile \(knownHosts)\n", path: "ssh_config")
        pattern = HostPattern("all")
    }
    var planner = Planner(
        runbook: runbook, inventory: inventory, sshConfig: sshConfig, overrides: set, rollout: rollout, runID: "RUN\(UInt32.random(in: 0...UInt32.max))",
        release: "20261124000000", home: "/root", localUser: "root")
    // Tests run at the same time on one machine: each run gets a lock folder of its own.
    planner.lockFolder = try workFolder("locks")
    // As a shared lock folder must be: sticky, so no user can rename another's lock away.
    try shell("chmod 1777 \(planner.lockFolder ?? "")")
    let plan = try planner.plan(hosts: pattern)
    planned?(plan)
    var factory = TransportFactory(acceptNewHostKeys: false, home: "/root", environment: [:])
    factory.override = transports
    let bus = EventBus()
    let log = EventLog()
    bus.subscribe { log.add($0) }
    let executor = RunExecutor(
        plan: plan, factory: factory,
        options: ExecutionOptions(rollback: rollback, forks: forks, keepConnected: keepConnected), bus: bus, stop: stop)
    return (await executor.run(), log)
}
