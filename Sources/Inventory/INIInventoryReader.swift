import RunbookLanguage

/// Reads Ansible's INI inventory format as ansible-core's `ini` plugin does: `[group]`, `[group:vars]`,
/// `[group:children]`, shell-like host lines with `key=value` variables typed as Python literals.
public enum INIInventoryReader {
    private enum Section {
        case hosts(String)
        case vars(String)
        case children(String)
    }

    /// Parses the text; errors carry the file, line and column.
    public static func read(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        var inventory = Inventory(source: path)
        try read(SourceFile(path: path, text: text), into: &inventory)
        inventory.finish()
        return inventory
    }

    /// Adds one file's hosts and groups to an inventory (several sources merge, as with several `-i`).
    static func read(_ file: SourceFile, into inventory: inout Inventory) throws(Diagnostic) {
        var section = Section.hosts("ungrouped")
        // Groups named by [x:vars] or [x:children] but never declared: Ansible refuses them at the end.
        var pending: [String: (line: Int, message: String)] = [:]
        var pendingChildren: [String: [String]] = [:]
        for (index, rawLine) in file.lines.enumerated() {
            let number = index + 1
            let line = String(rawLine).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            func fail(_ message: String, column: Int = 1) -> Diagnostic {
                Diagnostic(message, at: SourceLocation(line: number, column: column, offset: 0), in: file)
            }
            if let bad = InventoryLimits.controlCharacter(in: line, allowLineBreaks: false) {
                throw fail("the line holds the control character \(bad)")
            }
            if line.hasPrefix("["), line.hasSuffix("]") || header(line) != nil {
                // A line such as `[2001:db8::1]:2222` is a host; one ending in `]` must be a section.
                guard let (name, kind) = header(line) else {
                    throw fail("invalid section `\(line)`: a section is [group], [group:vars] or [group:children], without spaces")
                }
                let declared = inventory.groups[name] != nil
                switch kind {
                case nil, "hosts":
                    section = .hosts(name)
                case "vars": section = .vars(name)
                case "children": section = .children(name)
                case let other?:
                    throw fail(
                        "unknown section kind `:\(other)`" + Suggestion.hint(for: other, in: ["vars", "children"])
                            + " (sections are [group], [group:vars] and [group:children])")
                }
                if !declared, kind == "vars", pending[name] == nil {
                    pending[name] = (number, "[\(name):vars] is for a group that is never declared")
                }
                inventory.ensureGroup(name)
                if kind != "vars" {
                    pending[name] = nil
                    for parent in pendingChildren.removeValue(forKey: name) ?? [] { inventory.addChild(name, to: parent) }
                }
                continue
            }
            switch section {
            case .hosts(let group):
                let words: [String]
                do {
                    words = try ShellWords.split(line)
                } catch {
                    throw fail("cannot split the host line: \(error.message)")
                }
                guard var pattern = words.first else { continue }
                var variables: [String: InventoryValue] = [:]
                if pattern.hasSuffix(":") { throw fail("`\(pattern)` ends in `:`, which is kept for a port (`host:2222`)") }
                if pattern == "---" { throw fail("`---` starts a YAML document: is this file YAML? (give it a .yml extension)") }
                // `host:port`, and `[v6addr]:port`, set the SSH port as Ansible does.
                if let port = portSuffix(of: &pattern) { variables["ansible_port"] = .int(port) }
                for word in words.dropFirst() {
                    guard let equals = word.firstIndex(of: "=") else {
                        throw fail("expected `key=value` after the host name, found `\(word)`")
                    }
                    let key = String(word[..<equals])
                    variables[key] = PythonLiteral.value(String(word[word.index(after: equals)...]))
                }
                let names: [String]
                do {
                    names = try HostRange.expand(pattern)
                } catch {
                    throw fail(error.description)
                }
                let origins = Dictionary(uniqueKeysWithValues: variables.keys.map { ($0, "\(file.path):\(number)") })
                for name in names { inventory.addHost(name, to: group, variables: variables, origins: origins) }
            case .vars(let group):
                guard let equals = line.firstIndex(of: "=") else { throw fail("expected `key=value` in [\(group):vars]") }
                let key = String(line[..<equals]).trimmingCharacters()
                let value = PythonLiteral.value(String(line[line.index(after: equals)...]).trimmingCharacters())
                inventory.setVariables([key: value], onGroup: group, origins: [key: "\(file.path):\(number)"])
            case .children(let group):
                guard let child = groupName(line) else { throw fail("`\(line)` is not a group name") }
                if inventory.groups[child] != nil {
                    inventory.addChild(child, to: group)
                } else {
                    if pending[child] == nil { pending[child] = (number, "[\(group):children] lists `\(child)`, a group that is never declared") }
                    pendingChildren[child, default: []].append(group)
                }
            }
        }
        if let (name, entry) = pending.min(by: { $0.value.line < $1.value.line }) {
            _ = name
            throw Diagnostic(entry.message, at: SourceLocation(line: entry.line, column: 1, offset: 0), in: file)
        }
    }

    /// `[name]` or `[name:kind]`, with an optional comment after it, as Ansible's section pattern.
    private static func header(_ line: String) -> (String, String?)? {
        guard let close = line.firstIndex(of: "]") else { return nil }
        let after = String(line[line.index(after: close)...]).trimmingCharacters()
        guard after.isEmpty || after.hasPrefix("#") else { return nil }
        let inside = line[line.index(after: line.startIndex)..<close]
        let pieces = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let name = pieces.first, !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" || $0 == "]" }) else { return nil }
        if pieces.count == 2 {
            guard !pieces[1].isEmpty, pieces[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            return (name, pieces[1])
        }
        return (name, nil)
    }

    private static func groupName(_ line: String) -> String? {
        var text = line
        if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
        let name = text.trimmingCharacters()
        guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == "]" || $0 == " " || $0 == "\t" }) else { return nil }
        return name
    }

    static func portSuffix(of pattern: inout String) -> Int? {
        if pattern.hasPrefix("["), let close = pattern.firstIndex(of: "]"), pattern.contains("::") {
            let rest = pattern[pattern.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) {
                pattern = String(pattern[pattern.index(after: pattern.startIndex)..<close])
                return port
            }
            return nil
        }
        // Colons inside a range (`web[1:3]`) are not a port.
        var depth = 0
        var colons: [String.Index] = []
        for index in pattern.indices {
            switch pattern[index] {
            case "[": depth += 1
            case "]": depth -= 1
            case ":" where depth == 0: colons.append(index)
            default: break
            }
        }
        guard colons.count == 1, let colon = colons.first else { return nil }
        let after = pattern[pattern.index(after: colon)...]
        guard !after.isEmpty, after.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(after) else { return nil }
        pattern = String(pattern[..<colon])
        return port
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
