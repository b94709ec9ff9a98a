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

    /// The selected host names, in the order of the terms (inventory order within a term).
    /// Unions first, then intersections (`&`), then exclusions (`!`), as Ansible evaluates them.
    public func select(from inventory: Inventory) throws(NoMatch) -> [String] {
        let terms = self.terms
        guard !terms.isEmpty else { throw NoMatch(message: "the host pattern is empty") }
        let regular = terms.filter { !$0.hasPrefix("&") && !$0.hasPrefix("!") }
        let intersections = terms.filter { $0.hasPrefix("&") }.map { String($0.dropFirst()) }
        let exclusions = terms.filter { $0.hasPrefix("!") }.map { String($0.dropFirst()) }
        var selected: [String] = []
        var seen = Set<String>()
        for term in regular {
            for name in try match(term, in: inventory) where seen.insert(name).inserted { selected.append(name) }
        }
        if regular.isEmpty {
            selected = inventory.hosts.map(\.name)
        }
        for term in intersections {
            let keep = Set(try match(term, in: inventory))
            selected = selected.filter { keep.contains($0) }
        }
        for term in exclusions {
            let drop = Set(try match(term, in: inventory))
            selected = selected.filter { !drop.contains($0) }
        }
        if selected.isEmpty {
            throw NoMatch(message: "the host pattern `\(text)` selects no host; groups: \(Self.groupListing(inventory))")
        }
        return selected
    }

    static func groupListing(_ inventory: Inventory) -> String {
        inventory.groupOrder.filter { name in
            name != "ungrouped" || !(inventory.groups[name]?.hosts.isEmpty ?? true)
        }.joined(separator: ", ")
    }

    /// The hosts one term names; a term that names nothing is an error (a typo must not deploy less, or more).
    private func match(_ term: String, in inventory: Inventory) throws(NoMatch) -> [String] {
        if term == "all" || term == "*" { return inventory.hosts.map(\.name) }
        if inventory.groups[term] != nil { return inventory.hosts(inGroup: term) }
        if inventory.host(named: term) != nil { return [term] }
        if term.hasPrefix("~") {
            guard let regex = try? Regex(String(term.dropFirst())) else {
                throw NoMatch(message: "`\(term)` is not a valid regular expression")
            }
            let groups = inventory.groupOrder.filter { $0.firstMatch(of: regex) != nil }
            let hosts = inventory.hosts.map(\.name).filter { $0.firstMatch(of: regex) != nil }
            return try nonEmpty(term, union(inventory, groups: groups, hosts: hosts), inventory)
        }
        if Glob.hasWildcards(term) {
            let groups = inventory.groupOrder.filter { Glob.matches(term, $0) }
            let hosts = inventory.hosts.map(\.name).filter { Glob.matches(term, $0) }
            return try nonEmpty(term, union(inventory, groups: groups, hosts: hosts), inventory)
        }
        let candidates = inventory.groupOrder + inventory.hosts.map(\.name)
        throw NoMatch(
            message:
                "`\(term)` is neither a host nor a group of \(inventory.source)\(Suggestion.hint(for: term, in: candidates)); groups: \(Self.groupListing(inventory))"
        )
    }

    private func nonEmpty(_ term: String, _ names: [String], _ inventory: Inventory) throws(NoMatch) -> [String] {
        if names.isEmpty {
            throw NoMatch(message: "`\(term)` matches no host or group; groups: \(Self.groupListing(inventory))")
        }
        return names
    }

    private func union(_ inventory: Inventory, groups: [String], hosts: [String]) -> [String] {
        var names = Set(hosts)
        for group in groups { names.formUnion(inventory.hosts(inGroup: group)) }
        return inventory.hosts.map(\.name).filter { names.contains($0) }
    }
}
