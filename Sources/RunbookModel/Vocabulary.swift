import RunbookLanguage

/// The statements, actions and assertions of the language, with the arguments each takes; the actions
/// and assertions are types given by the module that also renders them (Planning's `BuiltIns`).
public struct Vocabulary: Sendable {
    static let runbookStatements: [String: Signature] = [
        "description": Signature(positional: [("text", .text)]),
        "param": Signature(
            positional: [("name", .symbol([]))],
            keywords: [
                ("default", .any), ("type", .symbol(ParamType.allCases.map(\.rawValue))), ("required", .boolLiteral),
                ("secret", .boolLiteral), ("doc", .text),
            ]),
        "supervisor": Signature(positional: [("kind", .symbol(SupervisorKind.allCases.map(\.rawValue)))]),
        "rollout": Signature(keywords: [
            ("serial", .hostCount), ("canary", .intLiteral(min: 0)), ("max_fail", .hostCount), ("pause", .durationLiteral),
            ("rollback", .symbol(RollbackScope.allCases.map(\.rawValue))),
        ]),
        "lock": Signature(positional: [("name", .textOrFalse)], keywords: [("wait", .durationLiteral)]),
        "step": Signature(
            positional: [("name", .symbol([]))],
            keywords: [
                ("after", .stepNames), ("timeout", .durationLiteral), ("retries", .intLiteral(min: 0)),
                ("retry_delay", .durationLiteral), ("on", .text),
            ],
            block: .required),
        "verify": Signature(keywords: [("after", .stepNames), ("within", .durationLiteral)], block: .required),
        "precheck": Signature(keywords: [("within", .durationLiteral)], block: .required),
        "rollback": Signature(block: .required),
    ]

    /// The actions a step may hold, by keyword, with their signatures (every action takes `undo:`).
    let actions: [String: (kind: any ActionKind.Type, signature: Signature)]
    /// The assertions a `verify` or `precheck` may hold, by keyword.
    let assertions: [String: (kind: any AssertionKind.Type, signature: Signature)]
    /// Words people reach for, mapped to the name the language uses: "did you mean" ranks by meaning
    /// before spelling (`delete` means `remove`, not `upload`).
    let synonyms: [String: String]

    /// A language with these actions and assertions (a keyword or synonym given twice keeps the first).
    public init(actions: [any ActionKind.Type], assertions: [any AssertionKind.Type]) {
        var byKeyword: [String: (kind: any ActionKind.Type, signature: Signature)] = [:]
        var synonyms: [String: String] = [:]
        for kind in actions where byKeyword[kind.keyword] == nil {
            var signature = kind.signature
            if signature.kind(ofKeyword: "undo") == nil { signature.keywords.append(("undo", .stringOrFalse)) }
            byKeyword[kind.keyword] = (kind, signature)
            for word in kind.synonyms where synonyms[word] == nil { synonyms[word] = kind.keyword }
        }
        var assertionsByKeyword: [String: (kind: any AssertionKind.Type, signature: Signature)] = [:]
        for kind in assertions where assertionsByKeyword[kind.keyword] == nil {
            assertionsByKeyword[kind.keyword] = (kind, kind.signature)
            for word in kind.synonyms where synonyms[word] == nil { synonyms[word] = kind.keyword }
        }
        self.actions = byKeyword
        self.assertions = assertionsByKeyword
        self.synonyms = synonyms
    }

    /// "; did you mean `x`?" by meaning first (a synonym that is a candidate), then by spelling.
    func hint(for name: String, in candidates: [String]) -> String {
        let key = name.lowercased()
        if let meant = synonyms[key], candidates.contains(meant) { return "; did you mean `\(meant)`?" }
        if key.hasSuffix("s"), let meant = synonyms[String(key.dropLast())], candidates.contains(meant) {
            return "; did you mean `\(meant)`?"
        }
        return Suggestion.hint(for: name, in: candidates)
    }

    /// Interpolations that exist without a `param`.
    static let builtins: Set<String> = ["host", "host.name", "host.address", "host.port", "host.user", "run.id", "release"]
}
