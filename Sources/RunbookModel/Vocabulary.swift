/// The statements, actions and assertions of the language, with the arguments each takes.
enum Vocabulary {
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
        "rollback": Signature(block: .required),
    ]

    static let actions: [String: Signature] = [
        "run": Signature(
            positional: [("command", .string)],
            keywords: [
                ("cwd", .string), ("env", .env), ("timeout", .duration), ("sudo", .bool), ("creates", .string),
                ("unless", .string), ("only_if", .string), ("undo", .string),
            ]),
        "stop": Signature(positional: [("app", .string)]),
        "start": Signature(positional: [("app", .string)], keywords: [("name", .string), ("cwd", .string)]),
        "restart": Signature(positional: [("app", .string)]),
        "save": Signature(),
        "free_port": Signature(
            positional: [("port", .port)],
            keywords: [("signal", .symbol(["TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2"])), ("grace", .duration)]),
        "clean_cache": Signature(positional: [("path", .string)]),
        "upload": Signature(
            positional: [("source", .string)], keywords: [("to", .string), ("mode", .string)], requiredKeywords: ["to"]),
        "symlink": Signature(positional: [("link", .string)], keywords: [("to", .string)], requiredKeywords: ["to"]),
        "wait_for": Signature(keywords: [("port", .port), ("http", .string), ("status", .status), ("timeout", .duration)]),
    ]

    static let assertions: [String: Signature] = [
        "restarts": Signature(
            positional: [("app", .string)], keywords: [("max", .int(min: 0)), ("over", .duration)],
            requiredKeywords: ["max"]),
        "listening": Signature(
            positional: [("port", .port)],
            keywords: [("address", .string), ("family", .symbol(["ipv4", "ipv6"])), ("process", .string)]),
        "not_listening": Signature(positional: [("port", .port)]),
        "http": Signature(
            positional: [("url", .string)],
            keywords: [
                ("status", .status), ("method", .string), ("contains", .string), ("timeout", .duration),
                ("from", .symbol(["host", "controller"])),
            ]),
        "command": Signature(positional: [("command", .string)], keywords: [("exit", .int(min: 0)), ("contains", .string)]),
        "file": Signature(positional: [("path", .string)], keywords: [("exists", .boolLiteral)]),
    ]

    /// Interpolations that exist without a `param`.
    static let builtins: Set<String> = ["host", "host.name", "host.address", "host.port", "host.user", "run.id", "release"]
}
