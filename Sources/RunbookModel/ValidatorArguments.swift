import RunbookLanguage

/// Arguments checked against a signature: shapes of literals, parameter references, interpolations.
extension Validator {

    /// Checks a statement's arguments and block against a signature; every problem becomes a diagnostic.
    mutating func check(_ statement: Statement, against signature: Signature, what: String) -> CheckedArguments {
        var checked = CheckedArguments(at: statement.location)
        let positional = statement.arguments.filter { $0.label == nil }
        let allPositional = signature.positional + signature.optionalPositional
        for (index, argument) in positional.enumerated() {
            guard index < allPositional.count else {
                let expected =
                    allPositional.isEmpty ? "no positional arguments" : "\(allPositional.count) positional argument\(allPositional.count == 1 ? "" : "s")"
                error("\(what) takes \(expected); remove this one or give it a `name:`", at: argument.value.location)
                continue
            }
            let spec = allPositional[index]
            if checkValue(argument.value, kind: spec.kind, what: "the \(spec.name) of \(what)") {
                checked.positional.append(Expr(argument.value))
                checked.positionalLocations.append(argument.value.location)
            }
        }
        if positional.count < signature.positional.count {
            let missing = signature.positional[positional.count]
            error("\(what) needs its \(missing.name) (\(missing.kind.expectation))", at: statement.location)
        }
        for argument in statement.arguments {
            guard let label = argument.label else { continue }
            let location = argument.labelLocation ?? argument.value.location
            guard let kind = signature.kind(ofKeyword: label) else {
                let known = signature.keywords.map(\.name)
                let listing = known.isEmpty ? "; it takes none" : "; it takes " + known.map { "`\($0):`" }.joined(separator: ", ")
                let hint = Suggestion.nearest(to: label, in: known).map { "; did you mean `\($0):`?" } ?? listing
                error("unknown keyword argument `\(label):` for \(what)\(hint)", at: location)
                continue
            }
            if checkValue(argument.value, kind: kind, what: "`\(label):` of \(what)") {
                checked.keywords[label] = Expr(argument.value)
                checked.keywordLocations[label] = location
            }
        }
        for required in signature.requiredKeywords.sorted() where !statement.arguments.contains(where: { $0.label == required }) {
            let kind = signature.kind(ofKeyword: required)?.expectation ?? "a value"
            error("\(what) needs `\(required):` (\(kind))", at: statement.location)
        }
        switch signature.block {
        case .none:
            if let block = statement.block {
                error("\(what) takes no block", at: block.location)
            }
        case .required:
            if statement.block == nil {
                error("\(what) needs a `do ... end` block", at: statement.location)
            }
        }
        return checked
    }

    /// Checks one value; true when it can be used (errors were reported otherwise).
    mutating func checkValue(_ node: ValueNode, kind: ValueKind, what: String) -> Bool {
        let before = diagnostics.count
        checkReferences(node, kind: kind, what: what)
        guard diagnostics.count == before else { return false }
        if let problem = literalProblem(node, kind: kind) {
            error("\(what) must be \(kind.expectation), not \(problem)", at: node.location)
            return false
        }
        return true
    }

    /// Unknown parameters, unknown built-ins, and parameters of a type that cannot fit here.
    mutating func checkReferences(_ node: ValueNode, kind: ValueKind, what: String) {
        switch node.kind {
        case .reference(let name):
            guard let param = params[name] else {
                let hint = Suggestion.hint(for: name, in: params.keys.sorted())
                error("unknown parameter `\(name)`\(hint) (declare it with `param :\(name)`)", at: node.location)
                return
            }
            let fits: Bool
            switch kind {
            case .int, .port: fits = [.int, .port, .string].contains(param.type)
            case .duration: fits = [.duration, .int, .string].contains(param.type)
            case .bool: fits = [.bool, .string].contains(param.type)
            case .string, .stringOrFalse, .memorySize: fits = true
            default: fits = false
            }
            if !fits {
                if case .string = kind {
                } else if [ValueKind.Tag.int, .port, .duration, .bool].contains(kind.tag) {
                    error("\(what) must be \(kind.expectation), but `\(name)` is a parameter of type :\(param.type.rawValue)", at: node.location)
                } else {
                    error("\(what) must be a literal (\(kind.expectation)), not the parameter `\(name)`", at: node.location)
                }
            }
        case .string(let literal):
            for part in literal.parts {
                guard case .interpolation(let path, let location) = part else { continue }
                checkInterpolation(path, at: location)
            }
            if case .text = kind, literal.plainText == nil {
                error("\(what) cannot interpolate values", at: node.location)
            }
        case .array(let elements):
            for element in elements { checkReferences(element, kind: .string, what: what) }
        case .hash(let entries):
            for entry in entries { checkReferences(entry.value, kind: .string, what: what) }
        default:
            break
        }
    }

    mutating func checkInterpolation(_ path: [String], at location: SourceLocation) {
        let joined = path.joined(separator: ".")
        if Vocabulary.builtins.contains(joined) { return }
        if path.count == 1, params[joined] != nil { return }
        if path.count == 2, params[path[0]] != nil {
            error("the parameter `\(path[0])` has no fields; write `#{\(path[0])}`", at: location)
            return
        }
        let candidates = params.keys.sorted() + Vocabulary.builtins.sorted()
        error(
            "unknown name `\(joined)` in `#{...}`\(Suggestion.hint(for: joined, in: candidates)) (declare it with `param :\(path[0])`)",
            at: location)
    }

    /// What is wrong with a literal of the wrong shape (nil when it fits or is a reference).
    func literalProblem(_ node: ValueNode, kind: ValueKind) -> String? {
        let found = node.kindDescription
        if case .reference = node.kind {
            switch kind {
            case .string, .int, .port, .duration, .bool: return nil
            default: return nil  // reported by checkReferences
            }
        }
        switch (kind, node.kind) {
        case (.string, .string), (.any, _): return nil
        case (.string, .integer): return nil  // an integer renders as its digits
        case (.text, .string): return nil
        case (.textOrFalse, .string), (.textOrFalse, .bool(false)): return nil
        case (.stringOrFalse, .string), (.stringOrFalse, .bool(false)), (.stringOrFalse, .reference): return nil
        case (.valueHash, .hash(let entries)):
            for entry in entries {
                switch entry.value.kind {
                case .string, .integer, .reference, .bool: continue
                default: return "a hash whose `\(entry.key):` is \(entry.value.kindDescription)"
                }
            }
            return entries.isEmpty ? "an empty hash" : nil
        case (.stringArray, .array(let elements)):
            let fine = elements.allSatisfy { element in
                switch element.kind {
                case .string, .reference: true
                default: false
                }
            }
            return fine ? nil : "an array with other values"
        case (.memorySize, .integer(let value)): return value > 0 ? nil : "\(value)"
        case (.memorySize, .string(let literal)):
            guard let text = literal.plainText else { return nil }
            return MemorySize.bytes(text) == nil ? "\"\(text)\"" : nil
        case (.int(let min), .integer(let value)), (.intLiteral(let min), .integer(let value)):
            return value >= min ? nil : "\(value)"
        case (.port, .integer(let value)):
            return (1...65535).contains(value) ? nil : "\(value)"
        case (.duration, .integer(let value)), (.durationLiteral, .integer(let value)):
            return value >= 0 ? nil : "\(value)"
        case (.duration, .string(let literal)), (.durationLiteral, .string(let literal)):
            guard let text = literal.plainText else {
                if case .duration = kind { return nil }
                return "an interpolated string"
            }
            return TimeSpan(parsing: text) == nil ? "\"\(text)\"" : nil
        case (.bool, .bool), (.boolLiteral, .bool): return nil
        case (.symbol(let names), .symbol(let name)):
            if names.isEmpty || names.contains(name) { return nil }
            return "`:\(name)`" + Suggestion.hint(for: name, in: names)
        case (.stepNames, .symbol): return nil
        case (.stepNames, .array(let elements)):
            return elements.allSatisfy { if case .symbol = $0.kind { true } else { false } } ? nil : "an array with other values"
        case (.env, .hash(let entries)):
            for entry in entries {
                switch entry.value.kind {
                case .string, .integer, .reference, .bool: continue
                default: return "a hash whose `\(entry.key):` is \(entry.value.kindDescription)"
                }
            }
            return nil
        case (.status, .integer(let value)):
            return (100...599).contains(value) ? nil : "\(value)"
        case (.status, .array(let elements)):
            let fine = !elements.isEmpty && elements.allSatisfy { if case .integer(let v) = $0.kind { (100...599).contains(v) } else { false } }
            return fine ? nil : "an array that is not all HTTP statuses"
        case (.status, .string(let literal)):
            guard let text = literal.plainText, StatusRange(parsing: text) != nil else { return "\(found)" }
            return nil
        case (.hostCount, .integer(let value)):
            return value >= 0 ? nil : "\(value)"
        case (.hostCount, .string(let literal)):
            guard let text = literal.plainText, HostCount(parsing: text) != nil else { return "\(found)" }
            return nil
        default:
            return found
        }
    }
}
