import RunbookLanguage

/// The actions and assertions of a runbook, checked against the vocabulary.
extension Validator {

    mutating func actions(in block: Block?, context: String) -> [Action] {
        var actions: [Action] = []
        for statement in block?.statements ?? [] {
            guard let signature = Vocabulary.actions[statement.name] else {
                var note = ""
                if Vocabulary.assertions[statement.name] != nil {
                    note = " (`\(statement.name)` is an assertion; assertions go inside `verify`)"
                } else if statement.name == "step" {
                    note = " (steps cannot be nested; use `after:`)"
                }
                error(
                    "unknown action `\(statement.name)`" + Vocabulary.hint(for: statement.name, in: Vocabulary.actions.keys.sorted()) + note,
                    at: statement.location)
                continue
            }
            let args = check(statement, against: signature, what: "the action `\(statement.name)`")
            guard var action = action(statement, args) else { continue }
            switch args["undo"] {
            case .bool(false)?: action.undo = UndoOverride.none
            case let command? where statement.name != "run": action.undo = .command(command)
            default: break
            }
            actions.append(action)
        }
        return actions
    }

    mutating func action(_ statement: Statement, _ args: CheckedArguments) -> Action? {
        let at = statement.location
        switch statement.name {
        case "run":
            guard let command = args.positional(0) else { return nil }
            var sudo = false
            if case .bool(let value)? = args["sudo"] { sudo = value }
            var env: [KeyedExpr] = []
            if case .hash(let entries)? = args["env"] {
                env = entries
                for entry in entries where !Self.isEnvironmentName(entry.key) {
                    error("`\(entry.key)` is not a valid environment variable name", at: args.keywordLocations["env"] ?? at)
                }
            }
            return Action(
                .run(
                    RunCommand(
                        command: command, cwd: args["cwd"], env: env, timeout: args["timeout"], sudo: sudo,
                        creates: args["creates"], unless: args["unless"], onlyIf: args["only_if"],
                        undo: args["undo"] == .bool(false) ? nil : args["undo"])),
                at: at)
        case "stop": return args.positional(0).map { Action(.stop(app: $0), at: at) }
        case "start":
            return args.positional(0).map { Action(.start(target: $0, name: args["name"], cwd: args["cwd"]), at: at) }
        case "restart": return args.positional(0).map { Action(.restart(app: $0), at: at) }
        case "save": return Action(.save, at: at)
        case "free_port":
            guard let port = args.positional(0) else { return nil }
            var signal = "TERM"
            if case .symbol(let name)? = args["signal"] { signal = name }
            return Action(.freePort(port: port, signal: signal, grace: args["grace"] ?? .text("10s")), at: at)
        case "clean_cache": return args.positional(0).map { Action(.cleanCache(path: $0), at: at) }
        case "upload":
            guard let source = args.positional(0), let destination = args["to"] else { return nil }
            return Action(.upload(source: source, destination: destination, mode: args["mode"]), at: at)
        case "symlink":
            guard let link = args.positional(0), let target = args["to"] else { return nil }
            return Action(.symlink(link: link, target: target), at: at)
        case "reload":
            var signal: String?
            if case .symbol(let name)? = args["signal"] { signal = name }
            return args.positional(0).map { Action(.reload(app: $0, signal: signal), at: at) }
        case "remove": return args.positional(0).map { Action(.remove(app: $0), at: at) }
        case "env_file":
            guard let path = args.positional(0) else { return nil }
            var set: [KeyedExpr] = []
            var unset: [Expr] = []
            if case .hash(let entries)? = args["set"] { set = entries }
            if case .array(let names)? = args["unset"] { unset = names }
            for entry in set where !Self.isEnvironmentName(entry.key) {
                error("`\(entry.key)` is not a valid variable name for an env file", at: args.keywordLocations["set"] ?? at)
            }
            for case .string(let literal) in unset {
                if let name = literal.plainText, !Self.isEnvironmentName(name) {
                    error("`\(name)` is not a valid variable name for an env file", at: args.keywordLocations["unset"] ?? at)
                }
                if let name = literal.plainText, set.contains(where: { $0.key == name }) {
                    error("`\(name)` is both set and unset", at: args.keywordLocations["unset"] ?? at)
                }
            }
            if set.isEmpty && unset.isEmpty {
                error("`env_file` needs `set:` or `unset:` (an assertion about the file is `env_file PATH, has: {...}` in `verify`)", at: at)
                return nil
            }
            return Action(.envFile(path: path, set: set, unset: unset), at: at)
        case "wait_for":
            let timeout = args["timeout"] ?? .text("30s")
            switch (args["port"], args["http"]) {
            case (let port?, nil):
                if args["status"] != nil {
                    error("`status:` goes with `wait_for http:`, not `port:`", at: args.keywordLocations["status"] ?? at)
                }
                return Action(.waitForPort(port: port, timeout: timeout), at: at)
            case (nil, let url?):
                return Action(.waitForHTTP(url: url, status: args["status"] ?? .int(200), timeout: timeout), at: at)
            case (.some, .some):
                error("`wait_for` waits for one thing: give `port:` or `http:`, not both", at: at)
            case (nil, nil):
                error("`wait_for` needs `port:` or `http:`", at: at)
            }
            return nil
        default:
            return nil
        }
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    mutating func assertion(_ statement: Statement, _ args: CheckedArguments) -> Assertion? {
        let at = statement.location
        guard let subject = args.positional(0) else { return nil }
        switch statement.name {
        case "restarts":
            guard let max = args["max"] else { return nil }
            return Assertion(.restarts(app: subject, max: max, over: args["over"] ?? .text("30s")), at: at)
        case "listening":
            if args["address"] != nil, args["family"] != nil {
                error("`listening` takes `address:` or `family:`, not both", at: at)
                return nil
            }
            var family: String?
            if case .symbol(let name)? = args["family"] { family = name }
            return Assertion(.listening(port: subject, address: args["address"], family: family, process: args["process"]), at: at)
        case "not_listening": return Assertion(.notListening(port: subject), at: at)
        case "http":
            var fromController = false
            if case .symbol("controller")? = args["from"] { fromController = true }
            return Assertion(
                .http(
                    url: subject, status: args["status"] ?? .int(200), method: args["method"] ?? .text("GET"),
                    contains: args["contains"], json: Self.entries(args["json"]), timeout: args["timeout"] ?? .text("5s"),
                    fromController: fromController),
                at: at)
        case "command":
            return Assertion(.command(command: subject, exit: args["exit"] ?? .int(0), contains: args["contains"]), at: at)
        case "file":
            var exists = true
            if case .bool(let value)? = args["exists"] { exists = value }
            return Assertion(.file(path: subject, exists: exists), at: at)
        case "running": return Assertion(.running(app: subject), at: at)
        case "memory":
            guard let max = args["max"] else { return nil }
            return Assertion(.memory(app: subject, max: max), at: at)
        case "log":
            if args["contains"] == nil && args["not_contains"] == nil {
                error("`log` needs `contains:` or `not_contains:`", at: at)
                return nil
            }
            let sinceVerify = args["since"] == .symbol("verify")
            return Assertion(.log(app: subject, contains: args["contains"], notContains: args["not_contains"], sinceVerify: sinceVerify), at: at)
        case "reachable":
            if case .string(let literal) = subject, let text = literal.plainText, HostPort(parsing: text) == nil {
                error("`reachable` takes \"host:port\" (\"[::1]:5432\" for IPv6), not \"\(text)\"", at: args.positionalLocations.first ?? at)
                return nil
            }
            return Assertion(.reachable(target: subject, timeout: args["timeout"] ?? .text("5s")), at: at)
        case "env_file": return Assertion(.envFile(path: subject, has: Self.entries(args["has"])), at: at)
        default:
            return nil
        }
    }

    static func entries(_ expr: Expr?) -> [KeyedExpr] {
        if case .hash(let entries)? = expr { return entries }
        return []
    }
}
