import RunbookLanguage

/// The actions of a runbook, checked against the vocabulary and built by their own types.
extension Validator {

    mutating func actions(in block: Block?, context: String) -> [Action] {
        var actions: [Action] = []
        for statement in block?.statements ?? [] {
            guard let (kind, signature) = vocabulary.actions[statement.name] else {
                var note = ""
                if vocabulary.assertions[statement.name] != nil {
                    note = " (`\(statement.name)` is an assertion; assertions go inside `verify`)"
                } else if statement.name == "step" {
                    note = " (steps cannot be nested; use `after:`)"
                }
                error(
                    "unknown action `\(statement.name)`" + vocabulary.hint(for: statement.name, in: vocabulary.actions.keys.sorted()) + note,
                    at: statement.location)
                continue
            }
            var args = check(statement, against: signature, what: "the action `\(statement.name)`")
            let built = kind.init(&args)
            report(args)
            guard let built else { continue }
            var action = Action(built, at: statement.location)
            switch args["undo"] {
            case .bool(false)?: action.undo = UndoOverride.none
            case let command? where kind.signature.kind(ofKeyword: "undo") == nil: action.undo = .command(command)
            default: break
            }
            actions.append(action)
        }
        return actions
    }

    /// Lists the problems a statement's builder found, in the order it found them.
    mutating func report(_ arguments: CheckedArguments) {
        for problem in arguments.problems { error(problem.message, at: problem.location) }
    }

    /// A name a shell can export and an env file can hold: a letter or `_`, then letters, digits, `_`.
    public static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
