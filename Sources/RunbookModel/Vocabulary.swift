import RunbookLanguage

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
        "precheck": Signature(keywords: [("within", .durationLiteral)], block: .required),
        "rollback": Signature(block: .required),
    ]

    /// Every action takes `undo:` (a command, or `false` for none).
    static let actions: [String: Signature] = baseActions.mapValues { signature in
        var signature = signature
        if signature.kind(ofKeyword: "undo") == nil { signature.keywords.append(("undo", .stringOrFalse)) }
        return signature
    }

    private static let baseActions: [String: Signature] = [
        "run": Signature(
            positional: [("command", .string)],
            keywords: [
                ("cwd", .string), ("env", .env), ("timeout", .duration), ("sudo", .bool), ("creates", .string),
                ("unless", .string), ("only_if", .string), ("undo", .stringOrFalse),
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
        "reload": Signature(
            positional: [("app", .string)], keywords: [("signal", .symbol(["HUP", "USR1", "USR2", "TERM", "INT", "QUIT"]))]),
        "remove": Signature(positional: [("app", .string)]),
        "env_file": Signature(positional: [("path", .string)], keywords: [("set", .valueHash), ("unset", .stringArray)]),
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
                ("status", .status), ("method", .string), ("contains", .string), ("json", .valueHash), ("timeout", .duration),
                ("from", .symbol(["host", "controller"])),
            ]),
        "command": Signature(positional: [("command", .string)], keywords: [("exit", .int(min: 0)), ("contains", .string)]),
        "file": Signature(positional: [("path", .string)], keywords: [("exists", .boolLiteral)]),
        "running": Signature(positional: [("app", .string)]),
        "memory": Signature(positional: [("app", .string)], keywords: [("max", .memorySize)], requiredKeywords: ["max"]),
        "log": Signature(
            positional: [("app", .string)], keywords: [("contains", .string), ("not_contains", .string), ("since", .symbol(["run", "verify"]))]),
        "reachable": Signature(positional: [("target", .string)], keywords: [("timeout", .duration)]),
        "env_file": Signature(positional: [("path", .string)], keywords: [("has", .valueHash)], requiredKeywords: ["has"]),
    ]

    /// Words people reach for, mapped to the name the language uses: "did you mean" ranks by meaning
    /// before spelling (`delete` means `remove`, not `upload`).
    static let synonyms: [String: String] = [
        "delete": "remove", "rm": "remove", "destroy": "remove", "unregister": "remove", "disable": "remove",
        "graceful_reload": "reload", "hup": "reload", "sighup": "reload", "refresh": "reload", "reread": "reload",
        "reboot": "restart", "bounce": "restart", "kill": "stop", "halt": "stop", "launch": "start", "spawn": "start",
        "exec": "run", "shell": "run", "sh": "run", "execute": "run", "command": "run",
        "copy": "upload", "cp": "upload", "scp": "upload", "put": "upload", "ln": "symlink", "link": "symlink",
        "wait": "wait_for", "sleep": "wait_for", "kill_port": "free_port", "fuser": "free_port", "release_port": "free_port",
        "clear_cache": "clean_cache", "rm_cache": "clean_cache", "purge_cache": "clean_cache",
        "dotenv": "env_file", "env": "env_file", "set_env": "env_file", "setenv": "env_file", "envfile": "env_file",
        "pm2_save": "save", "persist": "save",
        "online": "running", "status": "running", "alive": "running", "up": "running",
        "mem": "memory", "rss": "memory", "heap": "memory",
        "logs": "log", "grep": "log", "journal": "log",
        "connect": "reachable", "tcp": "reachable", "ping": "reachable", "port_open": "reachable",
        "listen": "listening", "curl": "http", "get": "http", "exists": "file", "restart_count": "restarts",
    ]

    /// "; did you mean `x`?" by meaning first (a synonym that is a candidate), then by spelling.
    static func hint(for name: String, in candidates: [String]) -> String {
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
