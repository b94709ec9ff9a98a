import Foundation
import Planning
import Transport
import Wire

/// Takes a host's lock by sending the host's planned start command (which also reports what the host
/// lacks), retrying it every second while another run holds the lock and `wait` lasts.
enum HostLock {
    /// The outcome of the start command.
    enum Started: Sendable {
        /// The lock is ours (or there is none); the requirements the host lacks.
        case taken(missing: Set<Requirement>)
        case held(by: String)
        case failed(String)
    }

    static func start(_ command: HostCommand, context: HostContext, wait: Double, stop: StopSignal) async -> Started {
        let until = Date().addingTimeInterval(wait)
        while true {
            let result: ExecResult
            do throws(TransportError) {
                result = try await context.send(command)
            } catch {
                return .failed(error.message)
            }
            if result.exitStatus == 0 { return .taken(missing: missing(in: result.stdout)) }
            if result.exitStatus != 3 {
                let reason = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                return .failed("cannot take the host lock: \(reason.isEmpty ? "exit \(result.exitStatus)" : reason)")
            }
            if Date() >= until { return .held(by: describeHolder(result.stdout)) }
            if await !stop.sleep(seconds: 1) { return .failed("stopped while waiting for the host lock") }
        }
    }

    /// The requirements the start command reported missing.
    static func missing(in output: String) -> Set<Requirement> {
        Set(
            output.split(separator: "\n").compactMap { line in
                line.hasPrefix(HostBookends.missingPrefix) ? Requirement(rawValue: String(line.dropFirst(HostBookends.missingPrefix.count))) : nil
            })
    }

    /// Reads owner-file lines into "run R from controller C (user U, since T)".
    static func describeHolder(_ owner: String) -> String {
        var fields: [String: String] = [:]
        for line in owner.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        let lock = fields["lock"].map { " (lock \($0))" } ?? ""
        if fields["planted"] != nil {
            return "a lock folder whose owner file belongs to another user (folder owned by \(fields["user"] ?? "?"))\(lock): remove it by hand"
        }
        return "run \(fields["run_id"] ?? "?") from \(fields["controller"] ?? "?") (user \(fields["user"] ?? "?"), since \(fields["started"] ?? "?"))\(lock)"
    }
}
