/// Resolves the one part of Jinja runbook takes from an inventory: plain references to other variables
/// (`{{ base }}/shop`). Anything else (filters, expressions, statements, comments) is refused with the
/// host, the variable and its file, so a template never reaches a shell command verbatim.
enum TemplateResolver {
    struct Result {
        var values: [String: InventoryValue]
        var problems: [InventoryError]
    }

    static func resolve(_ values: [String: InventoryValue], host: String, origins: [String: String]) -> Result {
        var resolver = Resolver(values: values, host: host, origins: origins)
        var result = values
        for name in values.keys.sorted() {
            guard let value = values[name], value.containsTemplate else { continue }
            if let resolved = resolver.resolve(variable: name, depth: 0) { result[name] = resolved }
        }
        return Result(values: result, problems: resolver.problems)
    }

    private struct Resolver {
        var values: [String: InventoryValue]
        var host: String
        var origins: [String: String]
        var done: [String: InventoryValue] = [:]
        var failed: Set<String> = []
        var inProgress: Set<String> = []
        var problems: [InventoryError] = []

        mutating func fail(_ name: String, _ problem: String) {
            if failed.insert(name).inserted {
                problems.append(InventoryError(host: host, variable: name, origin: origins[name], problem))
            }
        }

        mutating func resolve(variable name: String, depth: Int) -> InventoryValue? {
            if let known = done[name] { return known }
            if failed.contains(name) { return nil }
            guard let value = values[name] else { return nil }
            guard inProgress.insert(name).inserted, depth < 32 else {
                fail(name, "its `{{ }}` references form a loop")
                return nil
            }
            defer { inProgress.remove(name) }
            guard let resolved = resolve(value: value, owner: name, depth: depth) else { return nil }
            done[name] = resolved
            return resolved
        }

        mutating func resolve(value: InventoryValue, owner: String, depth: Int) -> InventoryValue? {
            switch value {
            case .string(let text) where text.contains("{{") || text.contains("{%") || text.contains("{#"):
                return resolve(text: text, owner: owner, depth: depth)
            case .list(let items):
                var out: [InventoryValue] = []
                for item in items {
                    guard let resolved = resolve(value: item, owner: owner, depth: depth) else { return nil }
                    out.append(resolved)
                }
                return .list(out)
            case .map(let entries):
                var out: [String: InventoryValue] = [:]
                for (key, item) in entries {
                    guard let resolved = resolve(value: item, owner: owner, depth: depth) else { return nil }
                    out[key] = resolved
                }
                return .map(out)
            default:
                return value
            }
        }

        mutating func resolve(text: String, owner: String, depth: Int) -> InventoryValue? {
            let refuse = "is a Jinja template (`\(text)`), which runbook does not evaluate; write the value out, or set it with -e"
            guard let pieces = Self.split(text) else {
                fail(owner, refuse)
                return nil
            }
            var output = ""
            for piece in pieces {
                switch piece {
                case .text(let literal): output += literal
                case .reference(let name):
                    guard values[name] != nil else {
                        fail(owner, "refers to `\(name)` (`\(text)`), which is not set for this host")
                        return nil
                    }
                    guard let value = resolve(variable: name, depth: depth + 1) else {
                        fail(owner, "refers to `\(name)`, which cannot be resolved")
                        return nil
                    }
                    // A value that is only one reference keeps the referenced value's type, as in Ansible.
                    if pieces.count == 1 { return value }
                    output += value.description
                }
            }
            return .string(output)
        }

        enum Piece {
            case text(String)
            case reference(String)
        }

        /// Literal text and `{{ name }}` references, or nil when the template has anything else.
        static func split(_ text: String) -> [Piece]? {
            var pieces: [Piece] = []
            var rest = Substring(text)
            while let open = rest.range(of: "{{") {
                if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
                guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
                let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: " ")
                guard let first = inner.first, first.isLetter || first == "_",
                    inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), inner.allSatisfy(\.isASCII)
                else { return nil }
                pieces.append(.reference(inner))
                rest = rest[close.upperBound...]
            }
            if !rest.isEmpty { pieces.append(.text(String(rest))) }
            if pieces.contains(where: { if case .text(let t) = $0 { return t.contains("{%") || t.contains("{#") || t.contains("}}") } else { return false } }) {
                return nil
            }
            return pieces
        }
    }
}

extension InventoryValue {
    /// True when a string in the value holds Jinja markers.
    var containsTemplate: Bool {
        switch self {
        case .string(let text): text.contains("{{") || text.contains("{%") || text.contains("{#")
        case .list(let items): items.contains { $0.containsTemplate }
        case .map(let entries): entries.values.contains { $0.containsTemplate }
        default: false
        }
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Substring.Index>? {
        let target = Array(needle)
        var index = startIndex
        while index < endIndex {
            if self[index...].starts(with: target) {
                return index..<(self.index(index, offsetBy: target.count))
            }
            index = self.index(after: index)
        }
        return nil
    }

    fileprivate func trimmingCharacters(in character: Character) -> String {
        var slice = self
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
