import RunbookLanguage

/// Checks a syntax tree against the language and builds the typed runbook, collecting every error.
public struct Validator {
    private let file: SourceFile
    let vocabulary: Vocabulary
    var diagnostics: [Diagnostic] = []
    var params: [String: Param] = [:]

    private init(file: SourceFile, vocabulary: Vocabulary) {
        self.file = file
        self.vocabulary = vocabulary
    }

    /// Parses and validates a file: a runbook, or every error found in it.
    public static func load(_ file: SourceFile, vocabulary: Vocabulary) -> Result<Runbook, DiagnosticList> {
        let (tree, parseDiagnostics) = Parser.parse(file)
        var validator = Validator(file: file, vocabulary: vocabulary)
        let runbook = validator.validate(tree)
        let all = parseDiagnostics + validator.diagnostics
        if let runbook, all.isEmpty { return .success(runbook) }
        return .failure(DiagnosticList(uniqued(all)))
    }

    /// Reads a file from disk and loads it.
    public static func load(path: String, bytes: [UInt8], vocabulary: Vocabulary) -> Result<Runbook, DiagnosticList> {
        switch SourceFile.load(path: path, data: bytes) {
        case .success(let file): return load(file, vocabulary: vocabulary)
        case .failure(let diagnostic): return .failure(DiagnosticList([diagnostic]))
        }
    }

    private static func uniqued(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        // Past the limit errors only repeat; a hostile file could otherwise make hundreds of thousands.
        guard diagnostics.count < Diagnostic.limit else { return }
        diagnostics.append(Diagnostic(message, at: location, in: file))
    }

    // MARK: - The runbook

    private mutating func validate(_ tree: SyntaxTree) -> Runbook? {
        guard let first = tree.statements.first else { return nil }
        for extra in tree.statements.dropFirst() {
            error("a file holds one runbook; `\(extra.name)` stands outside the `runbook` block", at: extra.location)
        }
        guard first.name == "runbook" else {
            error(
                "a runbook file starts with `runbook \"name\" do`, not `\(first.name)`" + Suggestion.hint(for: first.name, in: ["runbook"]),
                at: first.location)
            return nil
        }
        var name = "runbook"
        if let value = first.positional.first, case .string(let literal) = value.kind, let text = literal.plainText, !text.isEmpty {
            name = text
        } else {
            error("`runbook` needs a name: `runbook \"recover\" do`", at: first.positional.first?.location ?? first.location)
        }
        if first.arguments.count > 1 {
            error("`runbook` takes only its name", at: first.arguments[1].value.location)
        }
        guard let block = first.block else {
            error("`runbook \"\(name)\"` needs a `do ... end` block", at: first.location)
            return nil
        }
        collectParams(block.statements)

        var runbook = Runbook(
            name: name, path: file.path, description: nil, params: params.values.sorted { $0.location < $1.location },
            supervisor: nil, rollout: RolloutSpec(), lock: LockSpec(), steps: [], verifications: [], rollback: [],
            graph: StepGraph(steps: [], verifications: []))
        var seenOnce: [String: SourceLocation] = [:]
        for statement in block.statements {
            guard let signature = Vocabulary.runbookStatements[statement.name] else {
                let hint = vocabulary.hint(for: statement.name, in: Vocabulary.runbookStatements.keys.sorted())
                let actionNote = vocabulary.actions[statement.name] != nil ? " (actions go inside a `step`)" : ""
                error("unknown statement `\(statement.name)`\(hint)\(actionNote)", at: statement.location)
                continue
            }
            if ["description", "supervisor", "rollout", "lock", "rollback", "precheck"].contains(statement.name) {
                if let earlier = seenOnce[statement.name] {
                    error("`\(statement.name)` is given twice (first on line \(earlier.line))", at: statement.location)
                    continue
                }
                seenOnce[statement.name] = statement.location
            }
            let args = check(statement, against: signature, what: "`\(statement.name)`")
            switch statement.name {
            case "description": runbook.description = args.positional(0).flatMap(Self.plainText)
            case "param": break
            case "supervisor":
                if case .symbol(let kind)? = args.positional(0) { runbook.supervisor = SupervisorKind(rawValue: kind) }
            case "rollout": runbook.rollout = rollout(args)
            case "lock": runbook.lock = lock(args)
            case "step": if let step = step(statement, args) { runbook.steps.append(step) }
            case "verify":
                if let verification = verification(statement, args, index: runbook.verifications.count) {
                    runbook.verifications.append(verification)
                }
            case "rollback": runbook.rollback = actions(in: statement.block, context: "the rollback block")
            case "precheck":
                if var precheck = verification(statement, args, index: 0) {
                    precheck.name = "precheck"
                    precheck.within = args["within"].flatMap(Self.timeSpan) ?? .seconds(0)
                    runbook.precheck = precheck
                }
            default: break
            }
        }
        if runbook.steps.isEmpty {
            error("the runbook `\(name)` has no steps; add `step :name do ... end`", at: first.location)
        }
        var seenSteps: [String: SourceLocation] = [:]
        for step in runbook.steps {
            if let earlier = seenSteps[step.name] {
                error("the step `\(step.name)` is defined twice (first on line \(earlier.line))", at: step.location)
            }
            seenSteps[step.name] = step.location
        }
        let stepNames = runbook.steps.map(\.name)
        let knownSteps = Set(stepNames)
        for step in runbook.steps {
            for dependency in step.after where !knownSteps.contains(dependency) {
                error(
                    "the step `\(step.name)` runs after `\(dependency)`, which is not a step"
                        + Suggestion.hint(for: dependency, in: stepNames.filter { $0 != step.name }),
                    at: step.location)
            }
            if step.after.contains(step.name) {
                error("the step `\(step.name)` cannot run after itself", at: step.location)
            }
        }
        for verification in runbook.verifications {
            for dependency in verification.after where !knownSteps.contains(dependency) {
                error(
                    "`verify` runs after `\(dependency)`, which is not a step" + Suggestion.hint(for: dependency, in: stepNames),
                    at: verification.location)
            }
        }
        do {
            switch StepGraph.build(steps: runbook.steps, verifications: runbook.verifications) {
            case .success(let graph): runbook.graph = graph
            case .failure(let cycle):
                let names = cycle.steps.map { "`\($0)`" }.joined(separator: " → ")
                let location = runbook.steps.first { $0.name == cycle.steps.first }?.location ?? first.location
                error("the steps form a cycle: \(names) → `\(cycle.steps.first ?? "")`", at: location)
            }
        }
        return runbook
    }

    static func plainText(_ expr: Expr) -> String? {
        if case .string(let literal) = expr { return literal.plainText }
        return nil
    }

    // MARK: - Parameters

    private mutating func collectParams(_ statements: [Statement]) {
        for statement in statements where statement.name == "param" {
            guard let first = statement.positional.first, case .symbol(let name) = first.kind else { continue }
            if let earlier = params[name] {
                error("the parameter `\(name)` is declared twice (first on line \(earlier.location.line))", at: statement.location)
                continue
            }
            if Vocabulary.builtins.contains(name) {
                error("`\(name)` is a built-in value and cannot be declared as a parameter", at: first.location)
                continue
            }
            var param = Param(
                name: name, type: .string, defaultValue: nil, required: false, secret: false, doc: nil,
                location: statement.location)
            var explicitType = false
            var defaultNode: ValueNode?
            for argument in statement.arguments {
                switch (argument.label, argument.value.kind) {
                case ("type", .symbol(let type)):
                    if let parsed = ParamType(rawValue: type) {
                        param.type = parsed
                        explicitType = true
                    }
                case ("default", _): defaultNode = argument.value
                case ("required", .bool(let value)): param.required = value
                case ("secret", .bool(let value)): param.secret = value
                case ("doc", .string(let literal)): param.doc = literal.plainText
                default: break
                }
            }
            if let node = defaultNode {
                if !explicitType {
                    switch node.kind {
                    case .integer: param.type = .int
                    case .bool: param.type = .bool
                    default: break
                    }
                }
                if case .null = node.kind {
                    param.defaultValue = nil
                } else if let problem = Self.defaultProblem(node, type: param.type) {
                    error("the default of `\(name)` \(problem)", at: node.location)
                } else {
                    param.defaultValue = Expr(node)
                }
                if param.required, param.defaultValue != nil {
                    error("the parameter `\(name)` is `required: true` and has a default; drop one of them", at: statement.location)
                }
            }
            params[name] = param
        }
    }

    /// Why a literal default does not fit a parameter type, or nil when it fits.
    static func defaultProblem(_ node: ValueNode, type: ParamType) -> String? {
        switch (type, node.kind) {
        case (.int, .integer): return nil
        case (.port, .integer(let value)):
            return (1...65535).contains(value) ? nil : "is \(value), which is not a port (1-65535)"
        case (.bool, .bool): return nil
        case (.duration, .integer(let value)): return value >= 0 ? nil : "is a negative duration"
        case (.duration, .string(let literal)):
            guard let text = literal.plainText else { return "cannot interpolate" }
            return TimeSpan(parsing: text) == nil ? "is \"\(text)\", which is not a duration such as \"30s\" or \"5m\"" : nil
        case (.string, .string(let literal)), (.shell, .string(let literal)):
            return literal.plainText == nil ? "cannot interpolate other values" : nil
        case (.path, .string(let literal)):
            guard let text = literal.plainText else { return "cannot interpolate other values" }
            return text.isEmpty ? "is an empty path" : nil
        default:
            return "is \(node.kindDescription), but the parameter is of type :\(type.rawValue)"
        }
    }

    // MARK: - Top-level statements

    private func rollout(_ args: CheckedArguments) -> RolloutSpec {
        var spec = RolloutSpec()
        if let serial = args["serial"].flatMap(Self.hostCount) { spec.serial = serial }
        if case .int(let canary)? = args["canary"] { spec.canary = canary }
        if let maxFail = args["max_fail"].flatMap(Self.hostCount) { spec.maxFail = maxFail }
        if let pause = args["pause"].flatMap(Self.timeSpan) { spec.pause = pause }
        if case .symbol(let scope)? = args["rollback"], let parsed = RollbackScope(rawValue: scope) { spec.rollback = parsed }
        return spec
    }

    private func lock(_ args: CheckedArguments) -> LockSpec {
        var spec = LockSpec()
        switch args.positional(0) {
        case .bool(false)?: spec.enabled = false
        case .string(let literal)?: spec.name = literal.plainText
        default: break
        }
        if let wait = args["wait"].flatMap(Self.timeSpan) { spec.wait = wait }
        return spec
    }

    static func hostCount(_ expr: Expr) -> HostCount? {
        switch expr {
        case .int(let value): return .count(value)
        case .string(let literal): return literal.plainText.flatMap(HostCount.init(parsing:))
        default: return nil
        }
    }

    static func timeSpan(_ expr: Expr) -> TimeSpan? {
        switch expr {
        case .int(let value): return .seconds(value)
        case .string(let literal): return literal.plainText.flatMap(TimeSpan.init(parsing:))
        default: return nil
        }
    }

    static func stepNames(_ expr: Expr?) -> [String] {
        switch expr {
        case .symbol(let name)?: return [name]
        case .array(let elements)?: return elements.compactMap { if case .symbol(let name) = $0 { name } else { nil } }
        default: return []
        }
    }

    private mutating func step(_ statement: Statement, _ args: CheckedArguments) -> Step? {
        guard case .symbol(let name)? = args.positional(0) else { return nil }
        let actions = actions(in: statement.block, context: "the step `\(name)`")
        if statement.block != nil, actions.isEmpty, statement.block?.statements.isEmpty == true {
            error("the step `\(name)` is empty; give it at least one action", at: statement.location)
        }
        var retries = 0
        if case .int(let value)? = args["retries"] { retries = value }
        return Step(
            name: name, after: Self.stepNames(args["after"]), timeout: args["timeout"].flatMap(Self.timeSpan),
            retries: retries, retryDelay: args["retry_delay"].flatMap(Self.timeSpan) ?? .seconds(5),
            hostPattern: args["on"].flatMap(Self.plainText), actions: actions, location: statement.location)
    }

    mutating func verification(_ statement: Statement, _ args: CheckedArguments, index: Int) -> Verification? {
        var assertions: [Assertion] = []
        for inner in statement.block?.statements ?? [] {
            guard let (kind, signature) = vocabulary.assertions[inner.name] else {
                let note = vocabulary.actions[inner.name] != nil ? " (`\(inner.name)` is an action; actions go inside a `step`)" : ""
                error(
                    "unknown assertion `\(inner.name)`" + vocabulary.hint(for: inner.name, in: vocabulary.assertions.keys.sorted()) + note,
                    at: inner.location)
                continue
            }
            var checked = check(inner, against: signature, what: "the assertion `\(inner.name)`")
            let built = kind.init(&checked)
            report(checked)
            if let built { assertions.append(Assertion(built, at: inner.location)) }
        }
        if statement.block?.statements.isEmpty == true {
            error("`\(statement.name)` is empty; give it at least one assertion", at: statement.location)
        }
        return Verification(
            name: index == 0 ? "verify" : "verify\(index + 1)", after: Self.stepNames(args["after"]),
            within: args["within"].flatMap(Self.timeSpan) ?? .seconds(30), assertions: assertions,
            location: statement.location)
    }
}

extension ValueKind {
    enum Tag { case int, port, duration, bool, other }

    var tag: Tag {
        switch self {
        case .int, .intLiteral: .int
        case .port: .port
        case .duration, .durationLiteral: .duration
        case .bool, .boolLiteral: .bool
        default: .other
        }
    }
}
