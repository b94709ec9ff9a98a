import Foundation
import RunEvents

/// The live block of a terminal run: one line per running host with what it is doing (connecting,
/// running its steps, verifying, rolling back, cleaning up), for how long, and its last output line;
/// then a footer. It reads the event stream only; `TextReporter` calls it under its lock.
struct LiveView {
    /// What a host is doing, as the events tell it.
    enum Phase: Equatable {
        /// Started, nothing run yet (a fleet of more than 200 hosts reconnects here).
        case starting
        /// Steps and verifications running now (by their names), possibly several at once.
        case working
        /// A failed step waits for its next attempt.
        case retrying(String)
        case rollingBack
        /// The last command: cleanup of moved-aside copies and the lock's release.
        case cleaningUp
    }

    /// A step, or a verification (`check`), running on a host.
    struct Work {
        var name: String
        var check: Bool
        var since: Date
    }

    struct Host {
        var phase: Phase = .starting {
            didSet { if phase != oldValue { since = Date() } }
        }
        /// When the host started, or entered its phase (rolling back, cleaning up, waiting to retry).
        var since = Date()
        /// Steps and verifications running, with their start times.
        var running: [Work] = []
        var failed = false
        /// Steps and verifications done (`verify:` prefixes verifications).
        var done: Set<String> = []
        /// The host's last output line and the step it came from.
        var output: (step: String, line: String)?
    }

    /// Whether a failed host rolls back (not with `--no-rollback` or `rollback: :none`).
    var rollsBack = true
    /// Each host's steps and verifications, when known: a host is cleaning up only once all are done
    /// (between two steps nothing runs for a moment). Without it, the first pause counts.
    var graph: [String: Set<String>] = [:]
    private(set) var hosts: [String] = []
    private(set) var state: [String: Host] = [:]
    private var finished: Set<String> = []
    private var connecting = false
    private var started = Date()

    /// The label of a host's line: "running build, migrate", "verifying web", "rolling back".
    static func label(_ host: Host) -> String {
        switch host.phase {
        case .starting: return "starting"
        case .retrying(let step): return "waiting to retry \(step)"
        case .rollingBack: return "rolling back"
        case .cleaningUp: return "cleaning up"
        case .working:
            let steps = host.running.filter { !$0.check }.map(\.name)
            // The unnamed `verify` block is just "verifying".
            let checks = host.running.filter(\.check).map(\.name)
            var parts: [String] = []
            if !steps.isEmpty { parts.append("running " + steps.joined(separator: ", ")) }
            let named = checks.filter { $0 != "verify" }
            if !checks.isEmpty { parts.append("verifying" + (named.isEmpty ? "" : " " + named.joined(separator: ", "))) }
            return parts.isEmpty ? "running" : parts.joined(separator: "; ")
        }
    }

    mutating func handle(_ event: RunEvent) {
        let name = event.host ?? ""
        switch event.kind {
        case .runStarted(_, _, let hosts, _):
            self.hosts = hosts
            started = event.time
            connecting = true
        case .batchStarted: connecting = false
        case .hostKey: break
        case .hostStarted:
            connecting = false
            state[name] = Host(since: event.time)
        case .stepStarted(let step, _): start(name, Work(name: step, check: false, since: event.time))
        case .verifyStarted(let verification): start(name, Work(name: verification, check: true, since: event.time))
        case .stepSkipped(let step, _): stop(name, step, check: false)
        case .stepFinished(let step, let ok, _, _, let message):
            stop(name, step, check: false)
            // Only the message tells a retry (HostRunner's "(retrying in 2s, attempt 2 of 3)"); a field
            // for it would be a change to the events' schema.
            if !ok, message?.contains("(retrying in ") == true {
                state[name]?.phase = .retrying(step)
            } else if !ok {
                fail(name, rollsBack: rollsBack)
            }
        case .assertion(let verification, _, let holds, _, _):
            stop(name, verification, check: true)
            // A failed precheck changed nothing: there is nothing to roll back.
            if !holds { fail(name, rollsBack: rollsBack && verification != "precheck") }
        case .output(let step, _, let text):
            let line = TerminalText.clean(text)
            if !line.isEmpty { state[name]?.output = (step, line) }
        case .undo:
            // A host the fleet rolls back after it finished comes back into the block.
            if state[name] == nil { state[name] = Host(since: event.time) }
            state[name]?.phase = .rollingBack
            state[name]?.output = nil
        case .hostFinished:
            state[name] = nil
            finished.insert(name)
        case .actionSkipped, .actionCompleted, .runFinished, .note: break
        }
    }

    private mutating func start(_ host: String, _ work: Work) {
        if state[host] == nil { state[host] = Host(since: work.since) }
        state[host]?.running.append(work)
        if state[host]?.phase != .rollingBack { state[host]?.phase = .working }
    }

    /// A step or verification ended: with nothing left running, the host is done with its graph.
    private mutating func stop(_ host: String, _ name: String, check: Bool) {
        guard var entry = state[host] else { return }
        entry.running.removeAll { $0.name == name && $0.check == check }
        entry.done.insert(Self.key(name, check: check))
        if !check, entry.output?.step == name { entry.output = nil }
        if entry.running.isEmpty, entry.phase == .working {
            if entry.failed {
                entry.phase = rollsBack ? .rollingBack : .cleaningUp
            } else if graph[host].map({ $0.isSubset(of: entry.done) }) ?? true {
                entry.phase = .cleaningUp
            }
        }
        state[host] = entry
    }

    /// How the graph names a step or a verification.
    static func key(_ name: String, check: Bool) -> String { check ? "verify:\(name)" : name }

    private mutating func fail(_ host: String, rollsBack: Bool) {
        guard var entry = state[host] else { return }
        entry.failed = true
        if entry.running.isEmpty { entry.phase = rollsBack ? .rollingBack : .cleaningUp }
        state[host] = entry
    }

    /// The block's lines, each at most `width` columns.
    func lines(now: Date, frame: Int, width: Int, palette: Palette, limit: Int = 20) -> [String] {
        let spinner = Self.spinner[frame % Self.spinner.count]
        let active = hosts.filter { state[$0] != nil } + state.keys.filter { !hosts.contains($0) }.sorted()
        var lines = active.prefix(limit).map { name -> String in
            let host = state[name] ?? Host()
            var line = StyledLine()
            line.add("\(spinner) ", .cyan)
            line.add(name, .bold)
            line.add("  \(Self.label(host))", host.phase == .rollingBack ? .yellow : nil)
            let since = host.running.map(\.since).min() ?? host.since
            line.add("  \(TextReporter.seconds(now.timeIntervalSince(since)))", .dim)
            if let output = host.output { line.add("  › \(output.line)", .dim) }
            return line.render(width: width, palette: palette)
        }
        if active.count > limit { lines.append(TerminalText.truncate("  … and \(active.count - limit) more hosts running", to: width)) }
        let elapsed = TextReporter.seconds(now.timeIntervalSince(started))
        let footer =
            connecting && active.isEmpty
            ? "  connecting to \(hosts.count) host\(hosts.count == 1 ? "" : "s") and taking their locks, \(elapsed)"
            : "  \(finished.count)/\(hosts.count) hosts done, \(elapsed)"
        lines.append(palette.paint(TerminalText.truncate(footer, to: width), .dim))
        return lines
    }

    static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏").map(String.init)
}
