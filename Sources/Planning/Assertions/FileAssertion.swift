import RunbookModel

/// `file PATH, exists:`: the path exists (or, with `exists: false`, does not).
struct FileAssertion: PlannableAssertion {
    static let keyword = "file"
    static let synonyms = ["exists"]
    static let signature = Signature(positional: [("path", .string)], keywords: [("exists", .boolLiteral)])

    var path: Expr
    var exists: Bool

    init?(_ args: inout CheckedArguments) {
        guard let path = args.positional(0) else { return nil }
        self.path = path
        self.exists = args.bool("exists") ?? true
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        .file(path: try planner.text(path).value, exists: exists)
    }
}
