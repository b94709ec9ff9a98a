import Foundation
import Inventory
import Planning
import RunbookLanguage
import RunbookModel
import TestSupport
import Testing
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The undos of stop, start, reload and remove under a real supervisord (AppHost), as the same
/// property as UndoPropertyTests: the action's script killed on the host after its k-th command, then
/// {undo, undo again}, and {the action again, an undo killed after j commands, undo}: the app's
/// program is known to supervisord or not, running or stopped, as before, and no state file is left.
/// The pid is not compared: a stopped and started process is another process.
@Suite(.timeLimit(.minutes(4))) struct AppUndoPropertyTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// The app is stopped before the action.
        var stoppedBefore: Bool
        var action: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "stop", stoppedBefore: false, action: "stop \"shop\""),
        Case(name: "start", stoppedBefore: true, action: "start \"shop\""),
        Case(name: "reload", stoppedBefore: false, action: "reload \"shop\""),
        Case(name: "remove", stoppedBefore: false, action: "remove \"shop\""),
    ]

    static func action(_ line: String, app: AppHost, runID: String) throws -> PlannedAction {
        let text = "runbook \"app-undo-property\" do\nstep :s do\n  \(line)\nend\nend\n"
        let runbook = try Validator.load(SourceFile(path: "t.rb", text: text)).get()
        let inventory = try InventoryLoader.parse(
            "h ansible_connection=local supervisor=supervisord supervisor_command=\"supervisorctl -c \(app.dir)/supervisord.conf\"\n", path: "hosts.ini")
        let plan = try Planner(
            runbook: runbook, inventory: inventory, sshConfig: SSHConfig.empty, overrides: [:], rollout: RolloutOverrides(), runID: runID,
            release: "20261124000000", home: "/root", localUser: "root"
        ).plan(hosts: HostPattern("all"))
        return try #require(plan.hosts.first?.steps.first?.actions.first)
    }

    /// What supervisord knows of the app once it settled: whether the program is there and its state,
    /// and whether a state file of the run is left.
    static func snapshot(_ app: AppHost, transport: SSHTransport, runID: String) async throws -> String {
        let ctl = "supervisorctl -c \(app.dir)/supervisord.conf"
        let script =
            "for i in $(seq 50); do s=$(\(ctl) status shop 2>&1 | awk '{print $2}'); case $s in STARTING|STOPPING|BACKOFF) sleep 0.1;; *) break;; esac; done; echo \"$s\"; \(ctl) avail | awk '{print $1, $2}'; ls \"${TMPDIR:-/tmp}\"/runbook-\(runID)-* 2>/dev/null; true"
        return try await transport.exec(script, timeout: 30, output: nil).stdout
    }

    @Test(arguments: cases) func appUndoIsIdempotentAfterAnyInterruption(_ entry: Case) async throws {
        let app = try AppHost()
        try app.waitForHTTP()
        let server = app.server
        let transport = SSHTransport(
            settings: SSHSettings(
                name: "h", address: "127.0.0.1", port: server.port, user: server.user, identityFiles: [server.clientKey],
                knownHostsFiles: [server.knownHosts], acceptNewHostKeys: false, connectTimeout: 5, home: server.directory))
        try await transport.connect()
        defer { Task { await transport.close() } }
        let runID = "APPP\(entry.name)\(getpid())"
        let action = try Self.action(entry.action, app: app, runID: runID)
        let ctl = "supervisorctl -c \(app.dir)/supervisord.conf"
        if entry.stoppedBefore { _ = try await transport.exec("\(ctl) stop shop", timeout: 30, output: nil) }
        let before = try await Self.snapshot(app, transport: transport, runID: runID)
        #expect(before.hasPrefix(entry.stoppedBefore ? "STOPPED" : "RUNNING"), "\(before)")
        var k = 0
        while true {
            let finished = try await UndoPropertyTests.run(action.operations, on: transport, killAfter: k)
            _ = try await UndoPropertyTests.run(action.undo, on: transport, killAfter: nil)
            _ = try await UndoPropertyTests.run(action.undo, on: transport, killAfter: nil)
            #expect(try await Self.snapshot(app, transport: transport, runID: runID) == before, "\(entry.name): interrupted after \(k), undone twice")
            for j in 0..<3 {
                _ = try await UndoPropertyTests.run(action.operations, on: transport, killAfter: k)
                _ = try await UndoPropertyTests.run(action.operations, on: transport, killAfter: nil)
                let undoFinished = try await UndoPropertyTests.run(action.undo, on: transport, killAfter: j)
                _ = try await UndoPropertyTests.run(action.undo, on: transport, killAfter: nil)
                #expect(
                    try await Self.snapshot(app, transport: transport, runID: runID) == before,
                    "\(entry.name): interrupted after \(k), redone, undo interrupted after \(j), undone")
                if undoFinished { break }
            }
            if finished { break }
            k += 1
            try #require(k < 20, "the action never finished")
        }
    }
}
