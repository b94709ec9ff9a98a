import Foundation
import Planning
import RunbookModel
import Testing
import Wire

@Suite struct QuotingTests {
    @Test(arguments: [
        ("plain", "plain"), ("/srv/shop/.next", "/srv/shop/.next"), ("a b", "'a b'"), ("", "''"), ("it's", "'it'\\''s'"),
        ("$(rm -rf /)", "'$(rm -rf /)'"), ("k=v,x:y@z%+", "k=v,x:y@z%+"), ("é", "'é'"),
    ])
    func quotesOnlyWhatNeedsIt(value: String, expected: String) {
        #expect(ShellQuote.quote(value) == expected)
    }

    /// For random strings v, `sh -c "printf %s <quoted v>"` prints v exactly.
    @Test func propertyShellReadsBackEveryValue() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019 \t\n'\"\\$`;&|<>(){}[]*?!#~%^=+,.:/@-_é€😀")
        var batch: [String] = []
        for _ in 0..<400 {
            let length = Int.random(in: 0...24, using: &generator)
            batch.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" }))
        }
        // One shell per value would take seconds; print them all, separated by a byte none contains.
        let script = batch.map { "printf '%s\\001' " + ShellQuote.quote($0) }.joined(separator: "; ")
        let (output, status) = try sh(script)
        #expect(status == 0)
        let printed = output.split(separator: "\u{1}", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(printed == batch)
    }

    @Test func interpolatedValuesCannotInjectShell() throws {
        let hostile = "x; echo INJECTED $(echo SUB) `echo TICK` 'q' \"d\" && exit 7"
        let book = try runbook("param :v, default: \"safe\"\nstep :s do\n  run \"printf %s #{v}\"\nend")
        let plan = try planner(book, .localOnly(), set: ["v": hostile]).plan(hosts: .init("local"))
        guard case .command(let hostCommand)? = plan.hosts.first?.steps.first?.actions.first?.operations.first else {
            Issue.record("no command")
            return
        }
        let (output, status) = try sh(hostCommand.body.script)
        #expect(status == 0)
        #expect(output == hostile)
    }

    @Test func shellParametersAreInsertedVerbatim() throws {
        let book = try runbook("param :build, type: :shell, default: \"echo a && echo b\"\nstep :s do\n  run build\n  run \"#{build} && echo c\"\nend")
        let plan = try planner(book, .localOnly()).plan(hosts: .init("local"))
        let scripts = plan.hosts.first?.steps.first?.actions.compactMap { action -> String? in
            if case .command(let hostCommand)? = action.operations.first { return hostCommand.body.script }
            return nil
        }
        #expect(scripts == ["echo a && echo b", "echo a && echo b && echo c"])
    }
}
