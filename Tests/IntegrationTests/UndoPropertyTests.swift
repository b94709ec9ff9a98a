import Foundation
import Inventory
import Planning
import RunbookLanguage
import RunbookModel
import TestSupport
import Testing
import Transport
import Wire

/// Every built-in undo on a real sshd host, as a property over interruption points: the action's
/// script is killed on the host after its k-th command (bash's DEBUG trap counts them; a wrapper of
/// this test only), then {undo, undo again}, or {the whole action, undo, undo again}, or {the action,
/// an undo itself killed after j commands, undo}: the folder is byte-identical to before (content,
/// mode, symlink target, presence of every entry).
@Suite(.serialized, .timeLimit(.minutes(3))) struct UndoPropertyTests {
    /// A recursive listing: path, type, mode, link target, content hash.
    static func snapshot(_ folder: String) throws -> String {
        try shell(
            "cd \(folder) && find . -mindepth 1 -printf '%p %y %m %l ' -exec sh -c 'if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then sha256sum < \"$1\"; else echo; fi' _ {} \\; | sort"
        )
    }

    /// The planned action of a one-step runbook, on `local` (the commands do not depend on the host).
    static func action(_ line: String) throws -> PlannedAction {
        let text = "runbook \"undo-property\" do\nstep :s do\n  \(line)\nend\nend\n"
        let runbook = try Validator.load(SourceFile(path: "t.rb", text: text)).get()
        let plan = try Planner(
            runbook: runbook, inventory: Inventory.localOnly(), sshConfig: SSHConfig.empty, overrides: [:], rollout: RolloutOverrides(),
            runID: "RUNP", release: "20261124000000", home: "/root", localUser: "root"
        ).plan(hosts: HostPattern(HostPattern.localName))
        return try #require(plan.hosts.first?.steps.first?.actions.first)
    }

    /// Runs the operations, the shell ones killed by the host after `limit` commands (nil: never).
    /// Returns false when the kill happened.
    static func run(_ operations: [Planning.Operation], on transport: SSHTransport, killAfter limit: Int?) async throws -> Bool {
        var budget = limit
        for operation in operations {
            switch operation {
            case .upload(let source, let temporary, let mode):
                if budget == 0 { return false }
                budget = budget.map { $0 - 1 }
                try await transport.upload(localPath: source, remotePath: temporary, mode: mode.flatMap { Int32($0, radix: 8) } ?? 0o644)
            case .command(let command):
                var script = command.body.script
                if let budget {
                    let hook = "n=0; trap 'n=$((n+1)); if [ \"$n\" -gt \(budget) ]; then kill -KILL $$; fi' DEBUG\n"
                    script = "bash -c " + ShellQuote.quote(hook + script)
                }
                let result = try await transport.exec(script, timeout: 30, output: nil)
                if result.exitStatus == 137 || result.signal != nil { return false }
                #expect(result.exitStatus == 0, "\(command.body.display): \(result.stderr)")
                if limit != nil { return true }
            default: continue
            }
        }
        return true
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var setup: String
        var action: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "upload over a file", setup: "printf old > f/app.conf && chmod 640 f/app.conf",
            action: "upload \"SRC\", to: \"DIR/f/app.conf\", mode: \"0600\""),
        Case(name: "upload of a new file", setup: "mkdir -p f", action: "upload \"SRC\", to: \"DIR/f/app.conf\""),
        Case(name: "symlink over a link", setup: "mkdir -p f/v1 f/v2 && ln -s v1 f/current", action: "symlink \"DIR/f/current\", to: \"DIR/f/v2\""),
        Case(name: "new symlink", setup: "mkdir -p f/v2", action: "symlink \"DIR/f/current\", to: \"DIR/f/v2\""),
        Case(name: "clean_cache", setup: "mkdir -p f/cache/a && printf x > f/cache/a/b && chmod 700 f/cache", action: "clean_cache \"DIR/f/cache\""),
        Case(name: "env_file", setup: "printf 'A=1\\nB=2\\n' > f/.env && chmod 600 f/.env", action: "env_file \"DIR/f/.env\", set: { A: 3 }, unset: [\"B\"]"),
        Case(name: "env_file of a new file", setup: "mkdir -p f", action: "env_file \"DIR/f/.env\", set: { A: 3 }"),
    ]

    @Test(arguments: cases) func undoIsIdempotentAfterAnyInterruption(_ entry: Case) async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(
            settings: SSHSettings(
                name: "h", address: "127.0.0.1", port: server.port, user: server.user, identityFiles: [server.clientKey],
                knownHostsFiles: [server.knownHosts], acceptNewHostKeys: false, connectTimeout: 5, home: server.directory))
        try await transport.connect()
        defer { Task { await transport.close() } }
        let root = try workFolder("undo")
        let source = "\(root)/source.conf"
        try "new contents\n".write(toFile: source, atomically: true, encoding: .utf8)
        let folder = "\(root)/host"
        let action = try Self.action(entry.action.replacingOccurrences(of: "SRC", with: source).replacingOccurrences(of: "DIR", with: folder))
        var k = 0
        while true {
            try shell("rm -rf \(folder) && mkdir -p \(folder)/f && chmod 777 \(folder) \(folder)/f && cd \(folder) && \(entry.setup) && chmod -R a+rwX f")
            // The host's user owns its files, as on a real host (touch -r needs the owner).
            if getuid() == 0 { try shell("chown -R \(server.user) \(folder)") }
            let before = try Self.snapshot(folder)
            let finished = try await Self.run(action.operations, on: transport, killAfter: k)
            // {interrupted at k, undo, undo again}
            _ = try await Self.run(action.undo, on: transport, killAfter: nil)
            _ = try await Self.run(action.undo, on: transport, killAfter: nil)
            #expect(try Self.snapshot(folder) == before, "\(entry.name): interrupted after \(k) command(s), undone twice")
            // {interrupted at k, the whole action, an undo interrupted at j, undo}
            for j in 0..<6 {
                _ = try await Self.run(action.operations, on: transport, killAfter: k)
                _ = try await Self.run(action.operations, on: transport, killAfter: nil)
                let undoFinished = try await Self.run(action.undo, on: transport, killAfter: j)
                _ = try await Self.run(action.undo, on: transport, killAfter: nil)
                #expect(try Self.snapshot(folder) == before, "\(entry.name): interrupted after \(k), redone, undo interrupted after \(j), undone")
                if undoFinished { break }
            }
            if finished { break }
            k += 1
            try #require(k < 40, "the action never finished")
        }
    }
}
