import RunbookModel
import Supervisors
import Wire

/// Renders one host's actions and assertions to command values and operations.
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
        switch action.kind {
        case .reload(let app, let signal): return try reload(app, signal: signal)
        case .remove(let app): return try remove(app)
        case .envFile(let path, let set, let unset): return try envFile(path, set: set, unset: unset)
        case .run(let run):
            let cwd = try run.cwd.map { (expr) throws(Failure) in try text(expr) }
            var env: [(String, Rendered)] = []
            for entry in run.env { env.append((entry.key, try text(entry.value))) }
            let sudo = run.sudo
            let userCommand = try command(run.command)
            let body = wrap(userCommand, cwd: cwd, env: env)
            let timeout = try run.timeout.map { (expr) throws(Failure) in
                try convert { () throws(ValueRenderer.Problem) in try renderer.duration(expr, what: "`timeout:`") }
            }
            var guards: [Guard] = []
            if let creates = run.creates {
                guards.append(Guard(kind: .creates, command: wrap("test -e " + (try text(creates)).quoted, cwd: cwd, env: []), sudo: sudo))
            }
            if let unless = run.unless { guards.append(Guard(kind: .unless, command: wrap(try command(unless), cwd: cwd, env: env), sudo: sudo)) }
            if let onlyIf = run.onlyIf { guards.append(Guard(kind: .onlyIf, command: wrap(try command(onlyIf), cwd: cwd, env: env), sudo: sudo)) }
            let undo = try run.undo.map { (expr) throws(Failure) in wrap(try command(expr), cwd: cwd, env: env) }
            return PlannedAction(
                keyword: "run", summary: userCommand.display.firstLine + (cwd.map { " (in \($0.display))" } ?? "") + (sudo ? " (sudo)" : ""), guards: guards,
                operations: [.shell(body, timeout: timeout, sudo: sudo)],
                undo: undo.map { [.shell($0, timeout: timeout, sudo: sudo)] } ?? [], cleanup: [])
        case .stop(let appExpr):
            let adapter = try needSupervisor("stop")
            let app = try text(appExpr)
            return PlannedAction(
                keyword: "stop", summary: "stop \(app.display)", guards: [],
                operations: [.shell(ShellCommand(adapter.stop(app.value)), timeout: nil), waitFor(app, adapter, running: false)],
                undo: [.shell(ShellCommand(adapter.start(app.value, name: nil)), timeout: nil), waitFor(app, adapter, running: true)],
                cleanup: [], appUndo: true, logs: logs(app, adapter))
        case .start(let targetExpr, let nameExpr, let cwdExpr):
            let adapter = try needSupervisor("start")
            let target = try text(targetExpr)
            let name = try nameExpr.map { (expr) throws(Failure) in try text(expr) }
            let cwd = try cwdExpr.map { (expr) throws(Failure) in try text(expr) }
            let app = name ?? target
            let start = wrap(ShellCommand(adapter.start(target.value, name: name?.value)), cwd: cwd, env: [])
            return PlannedAction(
                keyword: "start", summary: "start \(app.display)", guards: [],
                operations: [.shell(start, timeout: nil), waitFor(app, adapter, running: true)],
                undo: [.shell(ShellCommand(adapter.stop(app.value)), timeout: nil), waitFor(app, adapter, running: false)], cleanup: [],
                appUndo: true, logs: logs(app, adapter))
        case .restart(let appExpr):
            let adapter = try needSupervisor("restart")
            let app = try text(appExpr)
            return PlannedAction(
                keyword: "restart", summary: "restart \(app.display)", guards: [],
                operations: [.shell(ShellCommand(adapter.restart(app.value)), timeout: nil), waitFor(app, adapter, running: true)], undo: [],
                cleanup: [], appUndo: true, logs: logs(app, adapter))
        case .save:
            let adapter = try needSupervisor("save")
            guard let save = adapter.save() else {
                return PlannedAction(
                    keyword: "save", summary: "save: \(adapter.kind.rawValue) keeps its process list by itself; nothing to do", guards: [],
                    operations: [], undo: [], cleanup: [])
            }
            let dump = PM2Adapter.dumpPath
            let backup = "\"${PM2_HOME:-$HOME/.pm2}/dump.pm2.runbook-\(runID)\""
            return PlannedAction(
                keyword: "save", summary: "save the process list (the previous dump is kept)", guards: [],
                operations: [
                    .shell(
                        ShellCommand(
                            "if [ -e \(backup) ] || [ -e \(backup).none ]; then :; elif [ -f \(dump) ]; then cp -p \(dump) \(backup).tmp && mv -f \(backup).tmp \(backup); else : > \(backup).none; fi && \(save)"
                        ), timeout: nil)
                ],
                undo: [
                    .shell(
                        ShellCommand("if [ -f \(backup) ]; then mv -f \(backup) \(dump); elif [ -f \(backup).none ]; then rm -f \(dump) \(backup).none; fi"),
                        timeout: nil)
                ],
                cleanup: [ShellCommand("rm -f \(backup) \(backup).none")])
        case .freePort(let portExpr, let signal, let graceExpr):
            let port = try convert { () throws(ValueRenderer.Problem) in try renderer.port(portExpr, what: "the port of `free_port`") }
            let grace = try convert { () throws(ValueRenderer.Problem) in try renderer.duration(graceExpr, what: "`grace:`") }
            let script = Scripts.freePort(port: port, signal: signal, graceMilliseconds: grace.milliseconds)
            return PlannedAction(
                keyword: "free_port", summary: "free port \(port): \(signal) every listener (IPv4 and IPv6), wait \(grace), then KILL",
                guards: [],
                operations: [
                    .shell(ShellCommand(script), timeout: TimeSpan(milliseconds: grace.milliseconds + 10_000), requirements: [.procNetTCP, .findLname])
                ], undo: [],
                cleanup: [])
        case .cleanCache(let pathExpr):
            let path = try path(pathExpr, "the path to clean")
            let aside = Rendered(value: Scripts.aside(path.value, runID: runID), display: Scripts.aside(path.display, runID: runID))
            let p = path.quoted
            let a = aside.quoted
            return PlannedAction(
                keyword: "clean_cache", summary: "move \(path.display) aside to \(aside.display)", guards: [],
                operations: [.shell("if [ -e " + p + " ] && [ ! -e " + a + " ]; then mv -T " + p + " " + a + "; fi", timeout: nil)],
                undo: [.shell("if [ -e " + a + " ]; then rm -rf " + p + " && mv -T " + a + " " + p + "; fi", timeout: nil)],
                cleanup: ["rm -rf " + a])
        case .upload(let sourceExpr, let destinationExpr, let modeExpr):
            let source = try text(sourceExpr)
            let destination = try path(destinationExpr, "the upload's destination (`to:`)")
            let mode = try modeExpr.map { (expr) throws(Failure) in try text(expr).value }
            if let mode, mode.isEmpty || !mode.allSatisfy({ ("0"..."7").contains($0) }) || mode.count > 4 {
                throw Failure(message: "`mode:` must be octal such as \"0644\", not `\(mode)`")
            }
            let temporary = destination.value + ".runbook-tmp-\(runID)"
            let backup = Rendered(Scripts.aside(destination.value, runID: runID)).quoted
            // A marker says the file did not exist, and a copy is made under another name then renamed:
            // the undo then knows what to put back whatever point the action reached, and does nothing twice.
            let none = Rendered(Scripts.aside(destination.value, runID: runID) + ".none").quoted
            let copy = Rendered(Scripts.aside(destination.value, runID: runID) + ".copy").quoted
            let d = destination.quoted
            let t = Rendered(temporary).quoted
            let chmod = mode.map { "chmod \($0) " + t.script + " && " } ?? ""
            return PlannedAction(
                keyword: "upload", summary: "upload \(source.display) to \(destination.display)", guards: [],
                operations: [
                    .upload(source: source.value, temporary: temporary, mode: mode),
                    .shell(
                        chmod + "if [ -e " + backup + " ] || [ -e " + none + " ]; then :; elif [ -e " + d + " ]; then ln -f " + d + " " + backup
                            + " 2>/dev/null || { cp -p " + d + " " + copy + " && mv -f " + copy + " " + backup + "; }; else : > " + none + "; fi && mv -f "
                            + t + " " + d,
                        timeout: nil),
                ],
                undo: [
                    .shell(
                        "rm -f " + t + " " + copy + "; if [ -e " + backup + " ]; then if [ " + backup + " -ef " + d + " ]; then rm -f " + backup
                            + "; else mv -f " + backup + " " + d + "; fi; elif [ -e " + none + " ]; then rm -f " + d + " " + none + "; fi", timeout: nil)
                ],
                cleanup: ["rm -f " + backup + " " + none])
        case .symlink(let linkExpr, let targetExpr):
            let link = try path(linkExpr, "the symlink's path")
            let target = try text(targetExpr)
            let l = link.quoted
            let state = Rendered(Scripts.aside(link.value, runID: runID)).quoted
            let none = Rendered(Scripts.aside(link.value, runID: runID) + ".none").quoted
            let temporary = Rendered(link.value + ".runbook-tmp-\(runID)").quoted
            return PlannedAction(
                keyword: "symlink", summary: "point \(link.display) at \(target.display)", guards: [],
                operations: [
                    .shell(
                        "if [ -e " + state + " ] || [ -e " + none + " ]; then :; elif [ -L " + l + " ]; then readlink " + l + " > " + state
                            + ".tmp && mv -f " + state + ".tmp " + state + "; elif [ -e " + l + " ]; then echo " + l
                            + " exists and is not a symlink >&2; false; else : > " + none + "; fi && ln -sfn " + target.quoted + " " + temporary
                            + " && mv -T " + temporary + " " + l, timeout: nil)
                ],
                undo: [
                    .shell(
                        "rm -f " + temporary + " " + state + ".tmp; if [ -f " + state + " ]; then ln -sfn \"$(cat " + state + ")\" " + temporary
                            + " && mv -T " + temporary + " " + l + " && rm -f " + state + "; elif [ -e " + none + " ]; then rm -f " + l + " " + none
                            + "; fi", timeout: nil)
                ],
                cleanup: ["rm -f " + state + " " + none])
        case .waitForPort(let portExpr, let timeoutExpr):
            let port = try convert { () throws(ValueRenderer.Problem) in try renderer.port(portExpr, what: "`port:`") }
            let timeout = try convert { () throws(ValueRenderer.Problem) in try renderer.duration(timeoutExpr, what: "`timeout:`") }
            return PlannedAction(
                keyword: "wait_for", summary: "wait for port \(port)", guards: [],
                operations: [.waitForPort(port: port, probe: SocketTable.probe(port: port, owners: false), timeout: timeout)],
                undo: [], cleanup: [], effect: false)
        case .waitForHTTP(let urlExpr, let statusExpr, let timeoutExpr):
            let url = try text(urlExpr)
            let statuses = try convert { () throws(ValueRenderer.Problem) in try renderer.statuses(statusExpr) }
            let timeout = try convert { () throws(ValueRenderer.Problem) in try renderer.duration(timeoutExpr, what: "`timeout:`") }
            return PlannedAction(
                keyword: "wait_for", summary: "wait for \(url.display)", guards: [],
                operations: [.waitForHTTP(url: url.value, statuses: statuses, timeout: timeout)], undo: [], cleanup: [], effect: false)
        }
    }

    func waitFor(_ app: Rendered, _ adapter: any SupervisorAdapter, running: Bool) -> Operation {
        .waitForState(app: app.value, status: HostCommand(ShellCommand(adapter.status(app.value)), limit: 30), running: running, timeout: Self.stateTimeout)
    }

    func plan(_ assertion: Assertion) throws(Failure) -> PlannedCheck {
        switch assertion.kind {
        case .restarts(let appExpr, let maxExpr, let overExpr):
            let adapter = try needSupervisor("restarts")
            let app = try text(appExpr)
            let max = try convert { () throws(ValueRenderer.Problem) in try renderer.int(maxExpr, what: "`max:`") }
            let over = try convert { () throws(ValueRenderer.Problem) in try renderer.duration(overExpr, what: "`over:`") }
            return .restarts(app: app.value, status: ShellCommand(adapter.status(app.value)), max: max, over: over)
        case .listening(let portExpr, let addressExpr, let family, let processExpr):
            let port = try convert { () throws(ValueRenderer.Problem) in try renderer.port(portExpr, what: "the port of `listening`") }
            return .listening(
                port: port, address: try addressExpr.map { (expr) throws(Failure) in try text(expr).value }, family: family,
                process: try processExpr.map { (expr) throws(Failure) in try text(expr).value })
        case .notListening(let portExpr):
            return .notListening(port: try convert { () throws(ValueRenderer.Problem) in try renderer.port(portExpr, what: "the port of `not_listening`") })
        case .http(let urlExpr, let statusExpr, let methodExpr, let containsExpr, let jsonEntries, let timeoutExpr, let fromController):
            return .http(
                url: try text(urlExpr).value, statuses: try convert { () throws(ValueRenderer.Problem) in try renderer.statuses(statusExpr) },
                method: try text(methodExpr).value.uppercased(), contains: try containsExpr.map { (expr) throws(Failure) in try text(expr).value },
                json: try expected(jsonEntries),
                timeout: try convert { () throws(ValueRenderer.Problem) in try renderer.duration(timeoutExpr, what: "`timeout:`") },
                fromController: fromController)
        case .command(let commandExpr, let exitExpr, let containsExpr):
            return .command(
                try command(commandExpr), exit: try convert { () throws(ValueRenderer.Problem) in try renderer.int(exitExpr, what: "`exit:`") },
                contains: try containsExpr.map { (expr) throws(Failure) in try text(expr).value })
        case .file(let pathExpr, let exists):
            return .file(path: try text(pathExpr).value, exists: exists)
        case .running, .memory, .log, .reachable, .envFile:
            return try planVocabulary(assertion)
        }
    }
}

extension String {
    /// The first line, with an ellipsis when more follow.
    var firstLine: String {
        guard let newline = firstIndex(of: "\n") else { return self }
        return String(self[..<newline]) + " …"
    }
}
