import RunbookModel
import Supervisors
import Wire

/// Renders one host's actions and assertions to command values and operations: the context and helpers
/// each action's and assertion's own `plan` uses (Actions/, Assertions/).
struct ActionPlanner {
    var renderer: ValueRenderer
    var supervisor: (any SupervisorAdapter)?
    var runID: String
    /// How long `stop` and `start` wait for the supervisor to report the new state.
    static let stateTimeout = TimeSpan.seconds(30)

    struct Failure: Error {
        var message: String
    }

    func needSupervisor(_ keyword: String) throws(Failure) -> any SupervisorAdapter {
        guard let supervisor else {
            throw Failure(
                message:
                    "`\(keyword)` needs a supervisor: add `supervisor :pm2` (or :systemd, :supervisord, :docker) to the runbook, or a `supervisor` inventory variable"
            )
        }
        return supervisor
    }

    func text(_ expr: Expr) throws(Failure) -> Rendered {
        do { return try renderer.text(expr) } catch { throw Failure(message: error.message) }
    }

    /// A path the action also names in its backups, undo and journal records: a secret in it would be
    /// written there, and on the host's command lines, in clear.
    func path(_ expr: Expr, _ role: String) throws(Failure) -> Rendered {
        let rendered = try text(expr)
        guard rendered.secrets.isEmpty else {
            throw Failure(
                message:
                    "the secret parameter `\(rendered.secrets[0])` cannot be part of \(role): the path is written in clear into the commands sent and the journal"
            )
        }
        return rendered
    }

    func command(_ expr: Expr) throws(Failure) -> ShellCommand {
        do { return try renderer.command(expr) } catch { throw Failure(message: error.message) }
    }

    func convert<T>(_ body: () throws(ValueRenderer.Problem) -> T) throws(Failure) -> T {
        do { return try body() } catch { throw Failure(message: error.message) }
    }

    /// `cd DIR && export K=V && CMD`, grouping CMD when it has operators that would bind differently.
    /// (`sudo:` is not text here: the starter itself runs inside `sudo -n`.)
    func wrap(_ body: ShellCommand, cwd: Rendered?, env: [(String, Rendered)]) -> ShellCommand {
        var prefix = ShellCommand("")
        if let cwd { prefix = prefix + "cd " + cwd.quoted + " && " }
        for (key, value) in env { prefix = prefix + "export \(key)=" + value.quoted + " && " }
        var result = body
        if !prefix.script.isEmpty {
            let needsGroup = body.script.contains { "\n;&|".contains($0) }
            result = prefix + (needsGroup ? "(" + body + (body.script.hasSuffix("\n") ? ")" : "\n)") : body)
        }
        return result
    }

    /// The action's commands, undo and cleanup; `undo:` replaces the built-in undo.
    func plan(_ action: Action) throws(Failure) -> PlannedAction {
        var planned = try builtIn(action)
        switch action.undo {
        case .some(UndoOverride.none):
            planned.undo = []
        case .some(.command(let expr)):
            planned.undo = [.shell(try command(expr), timeout: nil)]
        case nil:
            break
        }
        return planned
    }

    private func builtIn(_ action: Action) throws(Failure) -> PlannedAction {
        guard let kind = action.kind as? any PlannableAction else { throw Failure(message: "`\(action.keyword)` is not an action the planner knows") }
        return try kind.plan(self)
    }

    func waitFor(_ app: Rendered, _ adapter: any SupervisorAdapter, running: Bool) -> Operation {
        .waitForState(app: app.value, status: HostCommand(ShellCommand(adapter.status(app.value)), limit: 30), running: running, timeout: Self.stateTimeout)
    }

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

    /// The log-tail command of every app the checks are about.
    func logCommands(_ checks: [PlannedCheck]) -> [String: ShellCommand] {
        guard let supervisor else { return [:] }
        var result: [String: ShellCommand] = [:]
        for app in checks.compactMap(\.app) { result[app] = ShellCommand(supervisor.logTail(app, lines: Self.logLines)) }
        return result
    }

    func plan(_ assertion: Assertion) throws(Failure) -> PlannedCheck {
        guard let kind = assertion.kind as? any PlannableAssertion else {
            throw Failure(message: "`\(assertion.keyword)` is not an assertion the planner knows")
        }
        return try kind.plan(self)
    }
}

extension String {
    /// The first line, with an ellipsis when more follow.
    var firstLine: String {
        guard let newline = firstIndex(of: "\n") else { return self }
        return String(self[..<newline]) + " …"
    }
}
