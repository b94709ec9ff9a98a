import Inventory
import RunbookLanguage
import RunbookModel
import Testing
import Wire

@testable import Planning

/// An action added as one type, as docs/architecture.md says: the validator checks it, the planner renders it.
private struct TouchAction: PlannableAction {
    static let keyword = "touch"
    static let synonyms = ["create"]
    static let signature = Signature(positional: [("path", .string)])

    var path: Expr

    init?(_ args: inout CheckedArguments) {
        guard let path = args.positional(0) else { return nil }
        if case .string(let literal) = path, let text = literal.plainText, !text.hasPrefix("/") {
            args.error("`touch` takes an absolute path, not \"\(text)\"", at: args.positionalLocations.first ?? args.location)
            return nil
        }
        self.path = path
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let path = try planner.path(self.path, "the path to touch")
        return PlannedAction(
            keyword: Self.keyword, summary: "touch \(path.display)", guards: [], operations: [.shell("touch " + path.quoted, timeout: nil)], undo: [],
            cleanup: [])
    }
}

@Suite struct BuiltInsTests {
    let vocabulary = Vocabulary(actions: BuiltIns.actions.map { $0 } + [TouchAction.self], assertions: BuiltIns.assertions.map { $0 })

    func load(_ body: String, vocabulary: Vocabulary) -> Result<Runbook, DiagnosticList> {
        Validator.load(SourceFile(path: "t.rb", text: "runbook \"t\" do\n  step :s do\n\(body)  end\nend\n"), vocabulary: vocabulary)
    }

    @Test func anActionIsOneTypeInTheVocabulary() throws {
        let book = try load("    touch \"/srv/ready\", undo: false\n", vocabulary: vocabulary).get()
        #expect(book.steps[0].actions[0].undo == UndoOverride.none)
        let plan = try planner(book, .localOnly()).plan(hosts: .init("local"))
        let action = try #require(plan.hosts.first?.steps.first?.actions.first)
        #expect(action.keyword == "touch" && action.summary == "touch /srv/ready")
        guard case .command(let command)? = action.operations.first else {
            Issue.record("no command")
            return
        }
        #expect(command.body.script == "touch /srv/ready")
    }

    @Test func itsProblemsAreDiagnosticsWithLocations() {
        let messages = { (body: String, vocabulary: Vocabulary) -> [String] in
            guard case .failure(let list) = load(body, vocabulary: vocabulary) else { return [] }
            return list.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        }
        #expect(messages("    touch \"srv\"\n", vocabulary) == ["3:11: `touch` takes an absolute path, not \"srv\""])
        #expect(messages("    create \"/srv\"\n", vocabulary) == ["3:5: unknown action `create`; did you mean `touch`?"])
        #expect(messages("    touch \"/srv\"\n", BuiltIns.vocabulary).first?.hasPrefix("3:5: unknown action `touch`") == true)
    }
}
