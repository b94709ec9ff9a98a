import Foundation
import RunbookModel
import Wire

/// Renders a plan for people (text) or programs (one JSON document). Both show masked commands only.
public enum PlanPrinter {
    /// The plan for people. Compact by default: per step one line per action, its undo, guards and
    /// checks, with hosts whose plans are the same folded into one block; `full` adds every byte each
    /// host can receive (exec requests and standard input, in order, conditional ones marked).
    public static func text(_ plan: RunPlan, full: Bool = false) -> String {
        var out: [String] = []
        let runbook = plan.runbook
        out.append("plan: \(runbook.name) (\(runbook.path)) — run \(plan.runID), release \(plan.release)")
        out.append("run id: \(plan.runID)")
        if let description = runbook.description { out.append("  \(description)") }
        out.append("inventory: \(plan.inventorySource) · \(plan.hosts.count) host\(plan.hosts.count == 1 ? "" : "s")")
        out.append(rolloutLine(plan.rollout))
        for (index, batch) in plan.rollout.batches.enumerated() {
            let label = index == 0 && plan.rollout.canary > 0 ? "canary" : "batch \(index + (plan.rollout.canary > 0 ? 0 : 1))"
            out.append("  \(label): \(batch.joined(separator: ", "))")
        }
        let blocks = Parallel.map(plan.hosts) { host in
            (body: hostLines(host).joined(separator: "\n"), exchanges: full ? exchangeLines(host).joined(separator: "\n") : "")
        }
        // Hosts whose compact plans read the same (their own name aside) share one block.
        var groups: [(hosts: [String], body: String, exchanges: [String])] = []
        for (host, block) in zip(plan.hosts, blocks) {
            let key = block.body.replacingOccurrences(of: host.host, with: "\u{1}")
            if !full, let index = groups.firstIndex(where: { $0.body == key }) {
                groups[index].hosts.append(host.host)
            } else {
                groups.append(([host.host], key, [block.exchanges]))
            }
        }
        for group in groups {
            out.append("")
            let name = group.hosts.count == 1 ? group.hosts[0] : group.hosts.joined(separator: ", ") + ": the same plan"
            out.append(
                group.body.replacingOccurrences(of: "\u{1}", with: group.hosts.count == 1 ? group.hosts[0] : "HOST").replacingOccurrences(
                    of: "host HOST —", with: "hosts \(name) —"))
            for exchanges in group.exchanges where !exchanges.isEmpty { out.append(exchanges) }
        }
        out.append("")
        out.append(full ? "nothing was run: this is a plan" : "nothing was run: this is a plan (--full prints every byte each host can receive)")
        return out.joined(separator: "\n") + "\n"
    }

    /// Every exchange of a host with its exact bytes (secrets masked), in order.
    static func exchangeLines(_ host: HostPlan) -> [String] {
        var out = ["  every byte \(host.host) can receive, in order:"]
        for (index, exchange) in host.exchanges.enumerated() {
            let when = exchange.when.map { " [\($0)]" } ?? ""
            out.append("  #\(index + 1) \(exchange.phase.rawValue)\(exchange.step.map { " \($0)" } ?? ""): \(exchange.what.firstLine)\(when)")
            if let shown = exchange.command?.shown {
                out.append("      exec: \(shown.request)")
                for line in shown.stdin.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { out.append("      | \(line)") }
            }
            if let transfer = exchange.transfer { out.append("      \(transfer)") }
        }
        return out.map(Redactor(secrets: host.secrets).redact)
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

    /// A host's part of the plan: one line per action, its guards, its undo, and the checks.
    static func hostLines(_ host: HostPlan) -> [String] {
        let redactor = Redactor(secrets: host.secrets)
        var out: [String] = []
        let changes = host.steps.flatMap(\.actions).filter(\.effect).count
        let checks = host.verifications.flatMap(\.checks).count + (host.precheck?.checks.count ?? 0)
        var header = "host \(host.host) — \(host.connection.summary)"
        if let supervisor = host.supervisor {
            header += " · supervisor \(supervisor.rawValue)" + (host.supervisorCommand.map { " (`\($0)`)" } ?? "")
        }
        header += " · \(changes) change\(changes == 1 ? "" : "s"), \(checks) check\(checks == 1 ? "" : "s")"
        out.append(header)
        if host.start != nil {
            // A planned release means the first command takes the lock (a run with `lock false` has none).
            out.append("  first: " + (host.release != nil ? "take the host lock and read what the host lacks" : "read what the host lacks"))
        }
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
            if let chain = host.chain(of: step.name), let first = chain.steps.first {
                if chain.steps.count == 1 {
                    notes.append("its commands in one exec")
                } else {
                    notes.append(first == step.name ? "one exec with " + chain.steps.dropFirst().joined(separator: ", ") : "in the exec of \(first)")
                }
            }
            if !notes.isEmpty { line += " (" + notes.joined(separator: "; ") + ")" }
            out.append(line)
            for action in step.actions { out.append(contentsOf: actionLines(action, indent: "    ")) }
        }
        for verification in host.verifications {
            out.append(
                "  \(verification.name == "verify" ? "verify" : "verify \(verification.name)") (after \(verification.after.joined(separator: ", ")); within \(verification.within))"
            )
            for check in verification.checks { out.append("    assert \(check.display)") }
        }
        if !host.rollback.isEmpty {
            out.append("  on failure of a change, after the undo:")
            for action in host.rollback { out.append(contentsOf: actionLines(action, indent: "    ")) }
        }
        if host.finish != nil || host.release != nil {
            let cleanups = host.steps.flatMap(\.actions).flatMap(\.cleanup).count
            out.append(
                "  last: "
                    + (cleanups == 0
                        ? ""
                        : (host.keptBackups?.count ?? 0) > 0
                            ? "keep the \(cleanups) moved-aside cop\(cleanups == 1 ? "y" : "ies") once passed (the newest \(host.keptBackups?.count ?? 0) runs' stay; older ones are removed); "
                            : "remove the \(cleanups) moved-aside cop\(cleanups == 1 ? "y" : "ies") once passed; ")
                    + (host.release != nil ? "release the lock" : ""))
        }
        return out.map(redactor.redact)
    }

    static func actionLines(_ action: PlannedAction, indent: String) -> [String] {
        var out = ["\(indent)\(action.keyword): \(action.summary.firstLine)"]
        for guardItem in action.guards {
            let word = guardItem.kind == .onlyIf ? "only if" : "skip if"
            out.append("\(indent)  \(word): \(guardItem.command.body.display.firstLine)")
        }
        let commands = action.operations.compactMap { operation -> String? in
            guard case .command(let command) = operation else { return nil }
            return command.body.display
        }
        if commands.count == 1, let only = commands.first, only.firstLine != action.summary.firstLine, !only.contains("\n") {
            out.append("\(indent)  $ \(only)")
        }
        let undoWord = action.appUndo ? "undo (after file undos)" : "undo"
        if let undo = action.undo.first {
            out.append("\(indent)  \(undoWord): \(undo.display.firstLine)" + (action.undo.count > 1 ? " (+\(action.undo.count - 1) more)" : ""))
        } else if action.effect {
            out.append("\(indent)  undo: none")
        }
        return out
    }

    /// The same plan as one JSON document.
    public static func json(_ plan: RunPlan) throws -> String {
        let document = PlanDocument(plan)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
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
        /// Every exec request (with its standard input) and transfer the host can receive, in order.
        var exchanges: [Exchange]
    }

    var schemaVersion = 1
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
                verifications: $0.verifications, rollback: $0.rollback, precheck: $0.precheck, exchanges: $0.exchanges)
        }
    }
}
