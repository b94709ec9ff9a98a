import Foundation
import RunbookModel
import Wire

/// Renders a plan for people (text) or programs (one JSON document). Both show masked commands only.
public enum PlanPrinter {
    public static func text(_ plan: RunPlan) -> String {
        var out: [String] = []
        let runbook = plan.runbook
        out.append("plan: \(runbook.name) (\(runbook.path)) — run \(plan.runID), release \(plan.release)")
        if let description = runbook.description { out.append("  \(description)") }
        out.append("inventory: \(plan.inventorySource) · \(plan.hosts.count) host\(plan.hosts.count == 1 ? "" : "s")")
        out.append(rolloutLine(plan.rollout))
        for (index, batch) in plan.rollout.batches.enumerated() {
            let label = index == 0 && plan.rollout.canary > 0 ? "canary" : "batch \(index + (plan.rollout.canary > 0 ? 0 : 1))"
            out.append("  \(label): \(batch.joined(separator: ", "))")
        }
        // A long script is printed for the first host that runs it and named for the others.
        var firstHost: [String: String] = [:]
        for host in plan.hosts {
            for action in host.steps.flatMap(\.actions) + host.rollback {
                for case .command(let command) in action.operations where isLong(command.body) && firstHost[command.body.display] == nil {
                    firstHost[command.body.display] = host.host
                }
            }
        }
        let owners = firstHost
        let blocks = Parallel.map(plan.hosts) { host in hostLines(host, firstHost: owners).joined(separator: "\n") }
        for block in blocks {
            out.append("")
            out.append(block)
        }
        out.append("")
        out.append("nothing was run: this is a plan")
        return out.joined(separator: "\n") + "\n"
    }

    static func rolloutLine(_ rollout: RolloutPlan) -> String {
        var parts: [String] = []
        if rollout.canary > 0 { parts.append("canary \(rollout.canary)") }
        parts.append("serial \(rollout.serial)")
        parts.append(rollout.budgetDescription)
        if rollout.pause.milliseconds > 0 { parts.append("pause \(rollout.pause)") }
        parts.append("rollback \(rollout.rollback)")
        return "rollout: " + parts.joined(separator: ", ") + " · \(rollout.batches.count) batch\(rollout.batches.count == 1 ? "" : "es")"
    }

    /// A host's part of the plan; a long script already printed for an earlier host is named, not repeated.
    static func hostLines(_ host: HostPlan, firstHost: [String: String]) -> [String] {
        let redactor = Redactor(secrets: host.secrets)
        var out: [String] = []
        var header = "host \(host.host) — \(host.connection.summary)"
        if let supervisor = host.supervisor {
            header += " · supervisor \(supervisor.rawValue)" + (host.supervisorCommand.map { " (`\($0)`)" } ?? "")
        }
        out.append(header)
        if let precheck = host.precheck {
            let when = precheck.within.milliseconds == 0 ? "once" : "within \(precheck.within)"
            out.append("  precheck (before any change; \(when); a failure changes nothing)")
            for check in precheck.checks { out.append("    assert \(check.display)") }
        }
        for step in host.steps {
            var line = "  wave \(step.wave)  step \(step.name)"
            var notes: [String] = []
            if !step.after.isEmpty { notes.append("after " + step.after.joined(separator: ", ")) }
            if let timeout = step.timeout { notes.append("timeout \(timeout)") }
            if step.retries > 0 { notes.append("retries \(step.retries) every \(step.retryDelay)") }
            if !notes.isEmpty { line += " (" + notes.joined(separator: "; ") + ")" }
            out.append(line)
            for action in step.actions { out.append(contentsOf: actionLines(action, indent: "    ", host: host.host, firstHost: firstHost)) }
        }
        for verification in host.verifications {
            out.append(
                "  \(verification.name == "verify" ? "verify" : "verify \(verification.name)") (after \(verification.after.joined(separator: ", ")); within \(verification.within))"
            )
            for check in verification.checks { out.append("    assert \(check.display)") }
        }
        if !host.rollback.isEmpty {
            out.append("  on failure of a change, after the undo:")
            for action in host.rollback { out.append(contentsOf: actionLines(action, indent: "    ", host: host.host, firstHost: firstHost)) }
        }
        return out.map(redactor.redact)
    }

    static func isLong(_ command: ShellCommand) -> Bool {
        command.display.utf8.lazy.filter({ $0 == UInt8(ascii: "\n") }).count >= 3
    }

    static func actionLines(_ action: PlannedAction, indent: String, host: String, firstHost: [String: String]) -> [String] {
        var out = ["\(indent)\(action.keyword): \(action.summary)"]
        for guardItem in action.guards {
            let word = guardItem.kind == .onlyIf ? "only if" : (guardItem.kind == .creates ? "skip if" : "skip if")
            out.append("\(indent)  \(word): \(guardItem.command.body.display)")
        }
        for operation in action.operations {
            if case .command(let command) = operation, isLong(command.body), let first = firstHost[command.body.display], first != host {
                out.append("\(indent)  $ (the same \(action.keyword) script as on \(first))")
                continue
            }
            out.append(contentsOf: block("\(indent)  $ ", operation))
        }
        let undoWord = action.appUndo ? "undo (after file undos) $ " : "undo $ "
        for operation in action.undo { out.append(contentsOf: block("\(indent)  \(undoWord)", operation)) }
        if action.undo.isEmpty, action.effect { out.append("\(indent)  undo: none") }
        for command in action.cleanup { out.append("\(indent)  after verification $ \(command.display)") }
        return out
    }

    private static func block(_ prefix: String, _ operation: Operation) -> [String] {
        var text = operation.display
        if case .command(let command) = operation, command.limited {
            text += "   # timeout \(TimeSpan(milliseconds: Int((command.limit * 1000).rounded())))"
        }
        guard text.utf8.contains(UInt8(ascii: "\n")) else { return [prefix + text] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first else { return [prefix] }
        let continuation = String(repeating: " ", count: prefix.count)
        return [prefix + first] + lines.dropFirst().map { continuation + $0 }
    }

    /// The same plan as one JSON document.
    public static func json(_ plan: RunPlan) throws -> String {
        let document = PlanDocument(plan)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        let text = String(decoding: data, as: UTF8.self)
        return Redactor(secrets: plan.hosts.flatMap(\.secrets)).redact(text) + "\n"
    }
}

/// The JSON form of a plan.
struct PlanDocument: Encodable {
    struct HostDocument: Encodable {
        var host: String
        var connection: String
        var address: String
        var port: Int
        var user: String
        var local: Bool
        var supervisor: String?
        var steps: [PlannedStep]
        var verifications: [PlannedVerification]
        var rollback: [PlannedAction]
        var precheck: PlannedVerification?
    }

    var runbook: String
    var path: String
    var description: String?
    var runID: String
    var release: String
    var inventory: String
    var rollout: RolloutPlan
    var hosts: [HostDocument]

    init(_ plan: RunPlan) {
        runbook = plan.runbook.name
        path = plan.runbook.path
        description = plan.runbook.description
        runID = plan.runID
        release = plan.release
        inventory = plan.inventorySource
        rollout = plan.rollout
        hosts = plan.hosts.map {
            HostDocument(
                host: $0.host, connection: $0.connection.summary, address: $0.connection.address, port: $0.connection.port,
                user: $0.connection.user, local: $0.connection.isLocal, supervisor: $0.supervisor?.rawValue, steps: $0.steps,
                verifications: $0.verifications, rollback: $0.rollback, precheck: $0.precheck)
        }
    }
}
