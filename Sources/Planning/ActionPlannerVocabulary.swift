import RunbookModel
import Supervisors
import Wire

/// The actions and assertions of the incident vocabulary: reload, remove, env files, app state,
/// memory, logs, reachability.
extension ActionPlanner {
    /// How many log lines a failure message ends with.
    static let logLines = 10

    func logs(_ app: Rendered, _ adapter: any SupervisorAdapter) -> ShellCommand {
        ShellCommand(adapter.logTail(app.value, lines: Self.logLines))
    }

    /// Rendered `key: value` pairs of a hash (values masked where secret).
    func expected(_ entries: [KeyedExpr]) throws(Failure) -> [ExpectedValue] {
        var result: [ExpectedValue] = []
        for entry in entries {
            let value = try text(entry.value)
            result.append(ExpectedValue(key: entry.key, value: value.value, display: value.display))
        }
        return result
    }

    func reload(_ appExpr: Expr, signal: String?) throws(Failure) -> PlannedAction {
        let adapter = try needSupervisor("reload")
        let app = try text(appExpr)
        let reload = ShellCommand(adapter.reload(app.value, signal: signal))
        // A signal leaves the app running; a reload may restart it: wait until it runs either way.
        let operations: [Operation] = [.shell(reload, timeout: nil), waitFor(app, adapter, running: true)]
        return PlannedAction(
            keyword: "reload", summary: signal.map { "send \($0) to \(app.display)" } ?? "reload \(app.display)", guards: [],
            operations: operations, undo: operations, cleanup: [], appUndo: true, logs: logs(app, adapter))
    }

    func remove(_ appExpr: Expr) throws(Failure) -> PlannedAction {
        let adapter = try needSupervisor("remove")
        let app = try text(appExpr)
        let state = adapter.removeStatePath(app.value, runID: runID)
        return PlannedAction(
            keyword: "remove", summary: "remove \(app.display) from \(adapter.kind.rawValue) (kept to be put back)", guards: [],
            operations: [.shell(ShellCommand(adapter.remove(app.value, state: state, runID: runID)), timeout: nil)],
            undo: [.shell(ShellCommand(adapter.restore(app.value, state: state, runID: runID)), timeout: nil)],
            cleanup: [ShellCommand(adapter.removeCleanup(app.value, state: state, runID: runID))], appUndo: true, logs: nil)
    }

    /// Edits the file through a temporary copy written back in place (`cat > file`), so its inode,
    /// owner and mode stay; the undo writes the backup's bytes back the same way.
    func envFile(_ pathExpr: Expr, set: [KeyedExpr], unset: [Expr]) throws(Failure) -> PlannedAction {
        let path = try path(pathExpr, "the env file's path")
        var assignments = ShellCommand("")
        for (index, entry) in set.enumerated() {
            let value = try text(entry.value)
            if value.value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                throw Failure(message: "`env_file` cannot write `\(entry.key)`: its value has a line break (an env file holds one line per variable)")
            }
            let line = Rendered(value: Scripts.envValue(value.value), display: value.value == value.display ? Scripts.envValue(value.display) : value.display)
            assignments = assignments + "RB_V\(index)=" + line.quoted + " "
        }
        var dropped: [String] = []
        for expr in unset {
            let name = try text(expr).value
            guard Self.isVariableName(name) else { throw Failure(message: "`unset:` names `\(name)`, which is not a variable name") }
            dropped.append(name)
        }
        let f = path.quoted
        let backup = Rendered(value: Scripts.aside(path.value, runID: runID), display: Scripts.aside(path.display, runID: runID)).quoted
        let none = Rendered(value: Scripts.aside(path.value, runID: runID) + ".none", display: Scripts.aside(path.display, runID: runID) + ".none").quoted
        let temporary = Rendered(value: path.value + ".runbook-tmp-\(runID)", display: path.display + ".runbook-tmp-\(runID)").quoted
        let copy = Rendered(value: Scripts.aside(path.value, runID: runID) + ".copy", display: Scripts.aside(path.display, runID: runID) + ".copy").quoted
        let awk = ShellQuote.quote(Scripts.envFileAwk(keys: set.map(\.key), unset: dropped))
        let edit: ShellCommand =
            "if [ -e " + backup + " ] || [ -e " + none + " ]; then [ -e " + f + " ] || : > " + f + "; elif [ -e " + f + " ]; then cp -p " + f + " " + copy
            + " && mv -f " + copy
            + " " + backup + "; else : > " + none + " && : > " + f + "; fi && " + assignments + "awk " + awk
            + " " + f + " > " + temporary + " && cat " + temporary + " > " + f + " && rm -f " + temporary
        let undo: ShellCommand =
            "rm -f " + temporary + " " + copy + "; if [ -e " + backup + " ]; then cat " + backup + " > " + f + " && touch -r " + backup + " " + f + " && rm -f "
            + backup
            + "; elif [ -e " + none + " ]; then rm -f " + f + " " + none + "; fi"
        let changes = set.map { "\($0.key)" }.map { "set \($0)" } + dropped.map { "unset \($0)" }
        return PlannedAction(
            keyword: "env_file", summary: "edit \(path.display): " + changes.joined(separator: ", "), guards: [],
            operations: [.shell(edit, timeout: nil)], undo: [.shell(undo, timeout: nil)], cleanup: ["rm -f " + backup + " " + none])
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || CharacterSetASCII.isAlphanumeric(first), !("0"..."9").contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || CharacterSetASCII.isAlphanumeric($0) }
    }

    func planVocabulary(_ assertion: Assertion) throws(Failure) -> PlannedCheck {
        switch assertion.kind {
        case .running(let appExpr):
            let adapter = try needSupervisor("running")
            let app = try text(appExpr)
            return .running(app: app.value, status: ShellCommand(adapter.status(app.value)))
        case .memory(let appExpr, let maxExpr):
            let adapter = try needSupervisor("memory")
            let app = try text(appExpr)
            let maxText = try text(maxExpr).value
            guard let max = MemorySize.bytes(maxText) else {
                throw Failure(message: "`max:` must be a size such as \"512M\" or \"1G\", not `\(maxText)`")
            }
            return .memory(app: app.value, status: ShellCommand(adapter.status(app.value)), rss: ShellCommand(Scripts.treeRSS), max: max)
        case .log(let appExpr, let containsExpr, let notContainsExpr, let sinceVerify):
            let adapter = try needSupervisor("log")
            let app = try text(appExpr)
            return .log(
                app: app.value, read: ShellCommand(adapter.logRead(app.value)), byTime: adapter.logsByTime,
                contains: try containsExpr.map { (expr) throws(Failure) in try text(expr).value },
                notContains: try notContainsExpr.map { (expr) throws(Failure) in try text(expr).value }, sinceVerify: sinceVerify)
        case .reachable(let targetExpr, let timeoutExpr):
            let target = try text(targetExpr)
            guard let destination = HostPort(parsing: target.value) else {
                throw Failure(message: "`reachable` takes \"host:port\", not `\(target.display)`")
            }
            let timeout = try convert { () throws(ValueRenderer.Problem) in try renderer.duration(timeoutExpr, what: "`timeout:`") }
            return .reachable(
                target: destination.description, probe: ShellCommand(Scripts.reachableProbe(host: destination.host, port: destination.port)),
                timeout: timeout)
        case .envFile(let pathExpr, let has):
            return .envFile(path: try text(pathExpr).value, has: try expected(has))
        default:
            throw Failure(message: "`\(assertion.keyword)` is not planned here")
        }
    }

    /// The log-tail command of every app the checks are about.
    func logCommands(_ checks: [PlannedCheck]) -> [String: ShellCommand] {
        guard let supervisor else { return [:] }
        var result: [String: ShellCommand] = [:]
        for app in checks.compactMap(\.app) { result[app] = ShellCommand(supervisor.logTail(app, lines: Self.logLines)) }
        return result
    }
}
