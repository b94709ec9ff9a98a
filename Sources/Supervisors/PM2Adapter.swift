import Foundation
import RunbookModel
import Wire

/// PM2: `pm2 stop|start|restart|save`, status from `pm2 jlist`.
public struct PM2Adapter: SupervisorAdapter {
    public let kind = SupervisorKind.pm2
    public let command: String

    public init(command: String) { self.command = command }

    public func stop(_ app: String) -> String { "\(command) stop \(ShellQuote.quote(app))" }

    public func start(_ target: String, name: String?) -> String {
        guard let name, name != target else { return "\(command) start \(ShellQuote.quote(target))" }
        // An ecosystem file selects its app with --only; a script gets the name with --name.
        let isEcosystem =
            target.contains("ecosystem") || target.hasSuffix(".json") || target.hasSuffix(".yml") || target.hasSuffix(".yaml")
            || target.hasSuffix(".config.js") || target.hasSuffix(".config.cjs")
        return "\(command) start \(ShellQuote.quote(target)) \(isEcosystem ? "--only" : "--name") \(ShellQuote.quote(name))"
    }

    public func restart(_ app: String) -> String { "\(command) restart \(ShellQuote.quote(app))" }

    public func save() -> String? { "\(command) save" }

    public func status(_ app: String) -> String { "\(command) jlist" }

    /// The PM2 dump file, honouring PM2_HOME, as a shell expression.
    public static let dumpPath = "\"${PM2_HOME:-$HOME/.pm2}/dump.pm2\""

    public func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus {
        let processes = try Self.parseJlist(output)
        guard let process = processes.first(where: { $0.name == app }) else {
            return ProcessStatus(state: .stopped, pid: nil, restarts: nil, detail: "not in pm2's list")
        }
        let state: ProcessStatus.State =
            switch process.status {
            case "online": .running
            case "stopped", "stopping": .stopped
            case "launching", "waiting restart": .starting
            case "errored", "one-launch-status": .failed
            default: .unknown
            }
        return ProcessStatus(state: state, pid: process.pid == 0 ? nil : process.pid, restarts: process.restarts, detail: process.status)
    }

    /// One entry of `pm2 jlist`, with only the fields runbook reads (never `pm2_env`'s environment).
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var pid: Int
        public var status: String
        public var restarts: Int
    }

    /// Finds the JSON array in `pm2 jlist` output (banners and daemon messages may precede it).
    public static func parseJlist(_ output: String) throws(SupervisorOutputError) -> [Entry] {
        var searchStart = output.startIndex
        while let open = output[searchStart...].firstIndex(of: "[") {
            let candidate = output[open...]
            if let data = candidate.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any] {
                return array.compactMap { item in
                    guard let object = item as? [String: Any], let name = object["name"] as? String else { return nil }
                    let env = object["pm2_env"] as? [String: Any] ?? [:]
                    return Entry(
                        name: name, pid: (object["pid"] as? NSNumber)?.intValue ?? 0, status: env["status"] as? String ?? "unknown",
                        restarts: (env["restart_time"] as? NSNumber)?.intValue ?? 0)
                }
            }
            searchStart = output.index(after: open)
        }
        throw SupervisorOutputError("`pm2 jlist` printed no JSON process list")
    }
}

extension PM2Adapter {
    /// `pm2 reload` restarts with zero downtime in cluster mode (a restart in fork mode).
    public func reload(_ app: String, signal: String?) -> String {
        if let signal { return "\(command) sendSignal SIG\(signal) \(ShellQuote.quote(app))" }
        return "\(command) reload \(ShellQuote.quote(app)) --update-env"
    }

    /// Saves the app's own entry (as `pm2 jlist` shows it, the shape of a dump.pm2 entry) as an
    /// ecosystem file next to the dump, then `pm2 delete`; node reads the JSON since pm2 runs on it.
    public func remove(_ app: String, state: String, runID: String) -> String {
        let file = "\"${PM2_HOME:-$HOME/.pm2}/runbook-\(runID)-\"" + ShellQuote.quote(Self.safe(app) + ".json")
        return "(umask 077 && \(command) jlist | node -e \(ShellQuote.quote(Self.entryScript)) \(ShellQuote.quote(app)) \(state) > \(file))"
            + " && \(command) delete \(ShellQuote.quote(app))"
    }

    public func restore(_ app: String, state: String, runID: String) -> String {
        let file = "\"${PM2_HOME:-$HOME/.pm2}/runbook-\(runID)-\"" + ShellQuote.quote(Self.safe(app) + ".json")
        return "\(command) start \(file) && if [ \"$(cat \(state))\" != online ]; then \(command) stop \(ShellQuote.quote(app)); fi"
            + " && rm -f \(file) \(state)"
    }

    public func removeCleanup(_ app: String, state: String, runID: String) -> String {
        "rm -f \"${PM2_HOME:-$HOME/.pm2}/runbook-\(runID)-\"" + ShellQuote.quote(Self.safe(app) + ".json") + " \(state)"
    }

    public func logTail(_ app: String, lines: Int) -> String {
        "\(command) logs \(ShellQuote.quote(app)) --nostream --raw --lines \(lines) 2>&1 | tail -n \(lines)"
    }

    public var logsByTime: Bool { false }

    public func logRead(_ app: String) -> String { "\(command) logs \(ShellQuote.quote(app)) --nostream --raw --lines 5000 2>&1" }

    static func safe(_ app: String) -> String { String(app.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }) }

    /// Reads `pm2 jlist` on stdin (text may precede the array), prints an ecosystem file for the app and
    /// writes its status to the file named second.
    static let entryScript = """
        let t = require("fs").readFileSync(0, "utf8"), name = process.argv[1], list = null;
        for (let i = t.indexOf("["); i >= 0 && list === null; i = t.indexOf("[", i + 1)) { try { list = JSON.parse(t.slice(i)); } catch (e) {} }
        const p = (list || []).find(x => x.name === name);
        if (!p) { console.error("pm2 has no app named " + name); process.exit(1); }
        const e = p.pm2_env || {};
        const app = { name: e.name || name, script: e.pm_exec_path, cwd: e.pm_cwd, args: e.args, interpreter: e.exec_interpreter,
          exec_mode: e.exec_mode === "cluster_mode" ? "cluster" : "fork", instances: e.instances, env: e.env,
          max_memory_restart: e.max_memory_restart, autorestart: e.autorestart, out_file: e.pm_out_log_path, error_file: e.pm_err_log_path };
        require("fs").writeFileSync(process.argv[2], String(e.status) + "\\n");
        console.log(JSON.stringify({ apps: [app] }, null, 1));
        """
}
