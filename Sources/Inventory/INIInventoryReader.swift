import RunbookLanguage

/// Reads Ansible's INI inventory format: `[group]`, `[group:vars]`, `[group:children]`, `k=v` host vars.
public enum INIInventoryReader {
    private enum Section {
        case hosts(String)
        case vars(String)
        case children(String)
    }

    /// Parses the text; errors carry the file, line and column.
    public static func read(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        let file = SourceFile(path: path, text: text)
        var inventory = Inventory(source: path)
        var section = Section.hosts("ungrouped")
        for (index, rawLine) in file.lines.enumerated() {
            let number = index + 1
            let line = String(rawLine).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            func fail(_ message: String, column: Int = 1) -> Diagnostic {
                Diagnostic(message, at: SourceLocation(line: number, column: column, offset: 0), in: file)
            }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { throw fail("a section header needs a closing `]`") }
                let header = String(line[line.index(after: line.startIndex)..<close])
                let pieces = header.split(separator: ":", maxSplits: 1).map(String.init)
                guard let name = pieces.first, !name.isEmpty else { throw fail("a section needs a group name") }
                switch pieces.count == 2 ? pieces[1] : nil {
                case nil:
                    section = .hosts(name)
                    inventory.ensureGroup(name)
                case "vars": section = .vars(name)
                case "children": section = .children(name)
                case let other?:
                    throw fail(
                        "unknown section kind `:\(other)`" + Suggestion.hint(for: other, in: ["vars", "children"])
                            + " (sections are [group], [group:vars] and [group:children])")
                }
                continue
            }
            switch section {
            case .hosts(let group):
                let words: [String]
                do {
                    words = try split(line)
                } catch {
                    throw fail(error.message)
                }
                guard var pattern = words.first else { continue }
                var variables: [String: InventoryValue] = [:]
                // `host:port`, and `[v6addr]:port`, set the SSH port as Ansible does.
                if let port = portSuffix(of: &pattern) { variables["ansible_port"] = .int(port) }
                for word in words.dropFirst() {
                    guard let equals = word.firstIndex(of: "=") else {
                        throw fail("expected `key=value` after the host name, found `\(word)`")
                    }
                    let key = String(word[..<equals])
                    variables[key] = literal(String(word[word.index(after: equals)...]))
                }
                let names: [String]
                do {
                    names = try HostRange.expand(pattern)
                } catch {
                    throw fail(error.description)
                }
                for name in names { inventory.addHost(name, to: group, variables: variables) }
            case .vars(let group):
                guard let equals = line.firstIndex(of: "=") else { throw fail("expected `key=value` in [\(group):vars]") }
                let key = String(line[..<equals]).trimmingCharacters()
                let value = String(line[line.index(after: equals)...]).trimmingCharacters()
                inventory.setVariables([key: .string(unquote(value))], onGroup: group)
            case .children(let group):
                inventory.addChild(line, to: group)
            }
        }
        inventory.finish()
        return inventory
    }

    private static func portSuffix(of pattern: inout String) -> Int? {
        if pattern.hasPrefix("["), let close = pattern.firstIndex(of: "]"), pattern.contains("::") {
            let rest = pattern[pattern.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) {
                pattern = String(pattern[pattern.index(after: pattern.startIndex)..<close])
                return port
            }
            return nil
        }
        let colons = pattern.filter { $0 == ":" }.count
        guard colons == 1, let colon = pattern.lastIndex(of: ":"), !pattern.contains("[") || pattern.hasSuffix("]") == false else {
            return nil
        }
        let after = pattern[pattern.index(after: colon)...]
        guard let port = Int(after), !after.isEmpty else { return nil }
        pattern = String(pattern[..<colon])
        return port
    }

    /// Inline host values are Python-like literals: quoted strings, integers, True/False.
    static func literal(_ text: String) -> InventoryValue {
        if text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first {
            return .string(String(text.dropFirst().dropLast()))
        }
        if let value = Int(text) { return .int(value) }
        if text == "True" || text == "true" { return .bool(true) }
        if text == "False" || text == "false" { return .bool(false) }
        return .string(text)
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first {
            return String(text.dropFirst().dropLast())
        }
        return text
    }

    struct SplitError: Error { var message: String }

    /// Splits a host line like shlex: white space separates, quotes group (and are kept, so a quoted
    /// value stays a string), `#` at the start of a word starts a comment.
    static func split(_ line: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        for character in line {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case " ", "\t":
                if !current.isEmpty {
                    words.append(current)
                    current = ""
                }
            case "#" where current.isEmpty:
                return words
            case "'", "\"":
                quote = character
                current.append(character)
            default:
                current.append(character)
            }
        }
        if quote != nil { throw SplitError(message: "a quote is not closed") }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

extension String {
    func trimmingCharacters() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
