import RunbookLanguage
import Testing

@testable import Planning
@testable import RunbookModel

/// The v2 vocabulary: precheck, undo:, reload/remove/env_file, the new assertions, string keys.
@Suite struct VocabularyTests {
    @Test func buildsTheNewStatements() throws {
        let runbook = try load(
            """
            precheck within: "5s" do
              reachable "db.internal:5432"
              env_file "/srv/.env", has: { PORT: 3000 }
            end
            step :a do
              stop "dup", undo: false
              restart "app", undo: "echo back"
              reload "app", signal: :HUP
              remove "dup"
              env_file "/srv/.env", set: { PORT: 3000, NAME: "a b" }, unset: ["DEBUG"]
              run "x", undo: false
            end
            verify do
              running "app"
              memory "app", max: "1024M"
              log "app", not_contains: "EADDRINUSE", since: :verify
              http "http://x/", json: { "data.status": "healthy" }
            end

            """
        ).get()
        #expect(runbook.precheck?.within == .seconds(5))
        #expect(runbook.precheck?.assertions.map(\.keyword) == ["reachable", "env_file"])
        let actions = runbook.steps[0].actions
        #expect(actions.map(\.keyword) == ["stop", "restart", "reload", "remove", "env_file", "run"])
        #expect(actions[0].undo == UndoOverride.none)
        #expect(actions[1].undo == .command(.text("echo back")))
        #expect(actions[2].kind as? ReloadAction == ReloadAction(app: .text("app"), signal: "HUP"))
        #expect(actions[3].undo == nil)
        guard let run = actions[5].kind as? RunAction else { return }
        #expect(run.undo == nil && actions[5].undo == UndoOverride.none)
        let checks = runbook.verifications[0].assertions
        #expect(checks.map(\.keyword) == ["running", "memory", "log", "http"])
        #expect((checks[3].kind as? HTTPAssertion)?.json.map(\.key) == ["data.status"])
        #expect((checks[2].kind as? LogAssertion)?.sinceVerify == true)
    }

    @Test(arguments: [
        ("step :a do\n  reloda \"x\"\nend\n", "unknown action `reloda`; did you mean `reload`?"),
        ("step :a do\n  delete \"x\"\nend\n", "unknown action `delete`; did you mean `remove`?"),
        ("step :a do\n  dotenv \"x\", set: {A: 1}\nend\n", "unknown action `dotenv`; did you mean `env_file`?"),
        ("step :a do\n  hup \"x\"\nend\n", "unknown action `hup`; did you mean `reload`?"),
        ("step :a do\n  run \"x\"\nend\nverify do\n  online \"x\"\nend\n", "unknown assertion `online`; did you mean `running`?"),
        ("step :a do\n  run \"x\"\nend\nverify do\n  rss \"x\", max: \"1G\"\nend\n", "unknown assertion `rss`; did you mean `memory`?"),
        ("step :a do\n  run \"x\"\nend\nverify do\n  memory \"x\", max: \"1GB\"\nend\n", "`max:` of the assertion `memory` must be a size"),
        ("step :a do\n  run \"x\"\nend\nverify do\n  reachable \"db\"\nend\n", "`reachable` takes \"host:port\""),
        ("step :a do\n  run \"x\"\nend\nverify do\n  http \"http://h/\", method: \"GET /x HTTP/1.1\\r\\nX-A: b\"\nend\n", "`method:` must be an HTTP method"),
        ("step :a do\n  run \"x\"\nend\nverify do\n  log \"x\"\nend\n", "`log` needs `contains:` or `not_contains:`"),
        ("step :a do\n  env_file \"/x\"\nend\n", "`env_file` needs `set:` or `unset:`"),
        ("step :a do\n  env_file \"/x\", set: {\"A-B\": 1}\nend\n", "`A-B` is not a valid variable name for an env file"),
        ("step :a do\n  stop \"x\", undo: 3\nend\n", "`undo:` of the action `stop` must be a command or `false`"),
        ("precheck do\nend\nstep :a do\n  run \"x\"\nend\n", "`precheck` is empty; give it at least one assertion"),
    ])
    func reportsMistakes(body: String, message: String) {
        let found = errors(body).map(\.message)
        #expect(found.contains { $0.hasPrefix(message) }, "\(found)")
    }

    /// A keyword registered twice would be silently shadowed, and a synonym must name a real keyword.
    @Test func everyBuiltInHasAKeywordOfItsOwn() {
        let actions = BuiltIns.actions.map { $0.keyword }
        let assertions = BuiltIns.assertions.map { $0.keyword }
        #expect(Set(actions).count == actions.count && Set(assertions).count == assertions.count)
        #expect(BuiltIns.vocabulary.synonyms.values.allSatisfy { actions.contains($0) || assertions.contains($0) })
        #expect(BuiltIns.vocabulary.synonyms.keys.allSatisfy { !actions.contains($0) && !assertions.contains($0) || $0 == "command" })
    }

    @Test(arguments: [("512K", 512 * 1024), ("1024M", 1 << 30), ("2G", 2 << 30), ("100", 100), ("1.5G", nil), ("1GB", nil), ("", nil), ("0M", nil)])
    func memorySizesArePowersOf1024(text: String, bytes: Int?) {
        #expect(MemorySize.bytes(text) == bytes)
    }

    @Test func hostPorts() {
        #expect(HostPort(parsing: "db.internal:5432") == HostPort(parsing: "db.internal:5432"))
        #expect(HostPort(parsing: "[::1]:6379")?.host == "::1")
        #expect(HostPort(parsing: "[::1]:6379")?.description == "[::1]:6379")
        #expect(HostPort(parsing: "::1:6379") == nil)
        #expect(HostPort(parsing: "db:0") == nil)
        #expect(HostPort(parsing: "db") == nil)
    }
}
