import RunbookLanguage

/// An Ansible host pattern: `all`, `local`, names, groups, globs, `a:b`, `a,b`, `a:&b`, `a:!b`, `~regex`.
public struct HostPattern: Sendable, Hashable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) { self.text = text }

    public var description: String { text }

    /// Why a pattern selected nothing, or selected a name that does not exist.
    public struct NoMatch: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The name of the controller itself.
    public static let localName = "local"

    /// True when the pattern is `local` and the inventory has no host or group of that name.
    public func isLocal(in inventory: Inventory) -> Bool {
        text == Self.localName && inventory.host(named: text) == nil && inventory.groups[text] == nil
    }

    /// The terms of the pattern, split as Ansible does (commas, else colons outside brackets).
    public var terms: [String] {
        let separator: Character = text.contains(",") ? "," : ":"
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "[" { depth += 1 }
            if character == "]" { depth = max(0, depth - 1) }
            if character == separator, depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        terms.append(current)
        return terms.map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
    }

    /// The selected host names, in the order Ansible runs them. Unions first, then intersections (`&`),
    /// then exclusions (`!`), as Ansible evaluates them; no union term means `all`.
    public func select(from inventory: Inventory) throws(NoMatch) -> [String] {
        let terms = self.terms
        guard !terms.isEmpty else { throw NoMatch(message: "the host pattern is empty") }
        var ordered = terms.filter { !$0.hasPrefix("&") && !$0.hasPrefix("!") }
        if ordered.isEmpty { ordered = ["all"] }
        ordered += terms.filter { $0.hasPrefix("&") } + terms.filter { $0.hasPrefix("!") }
        var selected: [String] = []
        for term in ordered {
            if inventory.host(named: term) != nil {
                selected.append(term)
                continue
            }
            let matched = try match(term, in: inventory)
            if term.hasPrefix("!") {
                let drop = Set(matched)
                selected = selected.filter { !drop.contains($0) }
            } else if term.hasPrefix("&") {
                let keep = Set(matched)
                selected = selected.filter { keep.contains($0) }
            } else {
                let existing = Set(selected)
                selected += matched.filter { !existing.contains($0) }
            }
        }
        var seen = Set<String>()
        selected = selected.filter { seen.insert($0).inserted }
        if selected.isEmpty {
            throw NoMatch(message: "the host pattern `\(text)` selects no host; groups: \(Self.groupListing(inventory))")
        }
        return selected
    }

    /// `web[0]`, `web[-1]`, `web[1:2]`, `web[1:]` (Ansible's subscripts): the pattern and (start, end).
    static func splitSubscript(_ term: String) -> (String, (start: Int, end: Int?)?) {
        guard !term.hasPrefix("~"), term.hasSuffix("]"), let open = term.lastIndex(of: "["), open != term.startIndex else {
            return (term, nil)
        }
        let base = String(term[..<open])
        let inside = term[term.index(after: open)..<term.index(before: term.endIndex)]
        let isDigits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        if isDigits(inside) || (inside.hasPrefix("-") && isDigits(inside.dropFirst())), let index = Int(inside) {
            return (base, (index, nil))
        }
        guard let separator = inside.firstIndex(where: { $0 == ":" || $0 == "-" }) else { return (term, nil) }
        let first = inside[..<separator]
        let last = inside[inside.index(after: separator)...]
        guard isDigits(first), last.isEmpty || isDigits(last), let start = Int(first) else { return (term, nil) }
        return (base, (start, last.isEmpty ? -1 : Int(last)))
    }

    /// Python's `hosts[start]` or `hosts[start:end + 1]` (an end of -1 meaning the last host).
    static func applySubscript(_ hosts: [String], _ position: (start: Int, end: Int?)) -> [String]? {
        guard !hosts.isEmpty else { return hosts }
        if var end = position.end, end != 0 {
            if end == -1 { end = hosts.count - 1 }
            let low = min(max(position.start, 0), hosts.count)
            let high = min(max(end + 1, low), hosts.count)
            return Array(hosts[low..<high])
        }
        var index = position.start
        if index < 0 { index += hosts.count }
        guard index >= 0, index < hosts.count else { return nil }
        return [hosts[index]]
    }

    static func groupListing(_ inventory: Inventory) -> String {
        inventory.groupOrder.filter { name in
            name != "ungrouped" || !(inventory.groups[name]?.hosts.isEmpty ?? true)
        }.joined(separator: ", ")
    }

    /// The hosts one term names, in Ansible's order (duplicates kept, as before its position is applied);
    /// a term that names nothing is an error (a typo must not deploy less, or more).
    private func match(_ fullTerm: String, in inventory: Inventory) throws(NoMatch) -> [String] {
        let term = fullTerm.hasPrefix("&") || fullTerm.hasPrefix("!") ? String(fullTerm.dropFirst()) : fullTerm
        let (expression, position) = Self.splitSubscript(term)
        var matched = try enumerate(expression, in: inventory)
        if let position {
            guard let picked = Self.applySubscript(matched, position) else {
                throw NoMatch(message: "`\(term)`: no host at that position (`\(expression)` selects \(matched.count) host\(matched.count == 1 ? "" : "s"))")
            }
            matched = picked
        }
        return matched
    }

    private func enumerate(_ term: String, in inventory: Inventory) throws(NoMatch) -> [String] {
        let matches: (String) -> Bool
        if term.hasPrefix("~") {
            guard let regex = try? Regex(String(term.dropFirst())) else {
                throw NoMatch(message: "`\(term)` is not a valid regular expression")
            }
            // Python's re.match: anchored at the start only.
            matches = { (try? regex.prefixMatch(in: $0)) != nil }
        } else if Glob.hasWildcards(term) {
            matches = { Glob.matches(term, $0) }
        } else {
            matches = { $0 == term }
        }
        let groups = inventory.groupOrder.filter(matches)
        var result = groups.flatMap { inventory.hosts(inGroup: $0) }
        if groups.isEmpty || term.hasPrefix("~") || term.contains(where: { ".?*[".contains($0) }) {
            result += inventory.hosts.map(\.name).filter(matches)
        }
        if result.isEmpty {
            if term.hasPrefix("~") || Glob.hasWildcards(term) {
                throw NoMatch(message: "`\(term)` matches no host or group; groups: \(Self.groupListing(inventory))")
            }
            if groups.isEmpty {
                let candidates = inventory.groupOrder + inventory.hosts.map(\.name)
                throw NoMatch(
                    message:
                        "`\(term)` is neither a host nor a group of \(inventory.source)\(Suggestion.hint(for: term, in: candidates)); groups: \(Self.groupListing(inventory))"
                )
            }
        }
        return result
    }
}
