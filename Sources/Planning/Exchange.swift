import Wire

/// One thing a run can send to a host, in the order it would be sent: an exec request with its
/// standard input, an SFTP transfer or an HTTP request through the tunnel. `plan --full` and the JSON
/// plan list every one; conditional ones say when they are sent.
public struct Exchange: Sendable, Hashable, Encodable {
    /// Where in a run the exchange belongs.
    public enum Phase: String, Sendable, Encodable {
        case start, guardCheck = "guard", action, probe, undo, rollback, finish, release
    }

    public var phase: Phase
    public var step: String?
    /// One line for people.
    public var what: String
    /// Nil when always sent (if the run gets there); otherwise when.
    public var when: String?
    /// The planned command, for exec requests.
    public var command: HostCommand?
    /// A transfer or request that is not a command (SFTP, HTTP through the tunnel).
    public var transfer: String?

    enum CodingKeys: String, CodingKey {
        case phase, step, what, when, request, stdin, transfer
    }

    /// The exact bytes, with secrets shown as `••••`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(phase, forKey: .phase)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encode(what, forKey: .what)
        try container.encodeIfPresent(when, forKey: .when)
        if let shown = command?.shown {
            try container.encode(shown.request, forKey: .request)
            try container.encode(shown.stdin, forKey: .stdin)
        }
        try container.encodeIfPresent(transfer, forKey: .transfer)
    }
}

extension HostPlan {
    /// Everything this host can receive, in order: lock and facts, guards and actions step by step
    /// (undos after them, marked), checks, the rollback block, then the finish or the release.
    public var exchanges: [Exchange] {
        var out: [Exchange] = []
        if let start {
            out.append(Exchange(phase: .start, what: "take the host lock and read what the host lacks", when: nil, command: start))
        }
        for step in steps {
            if let chain = chain(of: step.name) {
                // A chain's links send nothing of their own: the chain is one exec, at its first step.
                guard chain.steps.first == step.name else { continue }
                var what = "one exec for " + (chain.steps.count == 1 ? "the commands of this step" : "steps " + chain.steps.joined(separator: ", "))
                what += ": " + chain.links.map { $0.command.body.display.firstLine }.joined(separator: "; ")
                if releaseRides, chain.steps.last == steps.last?.name { what += " (then releases the host lock, when it succeeded)" }
                out.append(Exchange(phase: .action, step: step.name, what: what, when: nil, command: chain.command))
                continue
            }
            let retry = step.retries > 0 ? "again on each of \(step.retries) retr\(step.retries == 1 ? "y" : "ies")" : nil
            for action in step.actions {
                for guardCheck in action.guards {
                    out.append(Exchange(phase: .guardCheck, step: step.name, what: guardCheck.kind.rawValue, when: retry, command: guardCheck.command))
                }
                for operation in action.operations { out.append(contentsOf: Self.exchanges(operation, phase: .action, step: step.name, when: retry)) }
                if releaseRides, step == steps.last, action == step.actions.last, let index = out.indices.last {
                    out[index].what += " (then releases the host lock, when it succeeded)"
                }
                if let logs = action.logsCommand {
                    out.append(Exchange(phase: .probe, step: step.name, what: "the app's last log lines", when: "if this action fails", command: logs))
                }
                for operation in action.undo {
                    out.append(contentsOf: Self.exchanges(operation, phase: .undo, step: step.name, when: "if the host rolls back after this action"))
                }
            }
        }
        for (verification, phase) in (precheck.map { [($0, "precheck")] } ?? []) + verifications.map({ ($0, "verify") }) {
            let polled = "\(phase): repeated until it holds, within \(verification.within)"
            for check in verification.checks {
                for command in check.commands {
                    out.append(Exchange(phase: .probe, step: verification.name, what: check.display, when: polled, command: command))
                }
                if case .http(let url, _, let method, _, _, _, let fromController) = check {
                    let path = fromController ? "from the controller" : "through the SSH tunnel"
                    out.append(Exchange(phase: .probe, step: verification.name, what: check.display, when: polled, transfer: "\(method) \(url) (\(path))"))
                }
            }
            for (app, logs) in verification.logs.sorted(by: { $0.key < $1.key }) {
                out.append(
                    Exchange(
                        phase: .probe, step: verification.name, what: "the last log lines of \(app)", when: "if a check of \(app) fails",
                        command: HostCommand(logs, limit: 15)))
            }
        }
        for action in rollback {
            for guardCheck in action.guards {
                out.append(
                    Exchange(phase: .rollback, step: "rollback", what: guardCheck.kind.rawValue, when: "if the host rolls back", command: guardCheck.command))
            }
            for operation in action.operations {
                out.append(contentsOf: Self.exchanges(operation, phase: .rollback, step: "rollback", when: "if the host rolls back after a change"))
            }
        }
        if let finish {
            let what =
                keptBackups.map { kept in
                    kept.count > 0
                        ? "keep what was moved aside (the newest \(kept.count) runs' backups stay); prune older runs' backups; release the lock"
                        : "remove what was moved aside and older runs' kept backups; release the lock"
                } ?? "remove what was moved aside; release the lock"
            out.append(Exchange(phase: .finish, what: what, when: "if the host passed", command: finish))
        }
        if let release {
            let when = releaseRides ? "if the host failed, or its last command did not run" : "if the host failed"
            out.append(Exchange(phase: .release, what: "release the lock", when: when, command: release))
        }
        return out
    }

    static func exchanges(_ operation: Operation, phase: Exchange.Phase, step: String, when: String?) -> [Exchange] {
        switch operation {
        case .command(let command):
            return [Exchange(phase: phase, step: step, what: operation.display, when: when, command: command)]
        case .waitForPort(_, let probe, _), .waitForState(_, let probe, _, _):
            return [Exchange(phase: phase, step: step, what: operation.display, when: when ?? "repeated until it holds", command: probe)]
        case .upload(let source, let temporary, let mode):
            return [Exchange(phase: phase, step: step, what: operation.display, when: when, transfer: "sftp \(source) → \(temporary) (mode \(mode ?? "0644"))")]
        case .waitForHTTP(let url, _, _):
            return [
                Exchange(
                    phase: phase, step: step, what: operation.display, when: when ?? "repeated until it holds", transfer: "GET \(url) (through the SSH tunnel)")
            ]
        }
    }
}
