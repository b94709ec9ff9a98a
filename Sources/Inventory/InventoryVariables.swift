/// Variables with the place each was set, so an error can name the file.
public struct VariableSet: Sendable, Hashable {
    public var values: [String: InventoryValue] = [:]
    /// `path:line` (or `path`) of each variable.
    public var origins: [String: String] = [:]

    public init(values: [String: InventoryValue] = [:], origins: [String: String] = [:]) {
        self.values = values
        self.origins = origins
    }

    /// Adds the other set's variables; its values win, whole (Ansible's default `hash_behaviour=replace`).
    public mutating func merge(_ other: VariableSet) {
        values.merge(other.values) { _, new in new }
        origins.merge(other.origins) { _, new in new }
    }

    mutating func merge(_ values: [String: InventoryValue], origins: [String: String], fallback: String) {
        for (name, value) in values {
            self.values[name] = value
            self.origins[name] = origins[name] ?? fallback
        }
    }
}

extension Inventory {
    /// A host's variables merged in ansible-core's order, weakest first: command-line defaults, `all`
    /// in files, the host's groups in files (by depth, priority, name), group_vars/all, group_vars/ of
    /// the host's groups (per source, in the same group order), the host in files, host_vars/.
    public func variableSet(of host: Host) -> VariableSet {
        var merged = VariableSet()
        merged.merge(commandLineDefaults, origins: [:], fallback: "the command line")
        let sorted = sortedGroups(of: host)
        for group in ["all"] + sorted {
            guard let entry = groups[group] else { continue }
            merged.merge(entry.variables, origins: entry.origins, fallback: source)
        }
        for tree in varsTrees {
            if let set = tree.groups["all"] { merged.merge(set) }
        }
        for tree in varsTrees {
            for group in sorted {
                if let set = tree.groups[group] { merged.merge(set) }
            }
        }
        merged.merge(host.variables, origins: host.origins, fallback: source)
        for tree in varsTrees {
            if let set = tree.hosts[host.name] { merged.merge(set) }
        }
        return merged
    }

    /// The host's variables merged as Ansible does, with plain `{{ name }}` references resolved; a value
    /// that needs more of Jinja is left as written (`checkedVariables` refuses it).
    public func variables(of host: Host) -> [String: InventoryValue] {
        let set = variableSet(of: host)
        return TemplateResolver.resolve(set.values, host: host.name, origins: set.origins).values
    }

    /// The host's variables, or the first problem that stops runbook using them: Jinja beyond plain
    /// references, passwords, vault values, connection settings runbook cannot honour.
    public func checkedVariables(of host: Host) throws(InventoryError) -> [String: InventoryValue] {
        let set = variableSet(of: host)
        let resolved = TemplateResolver.resolve(set.values, host: host.name, origins: set.origins)
        if let problem = resolved.problems.first { throw problem }
        try ConnectionVariables.check(resolved.values, host: host.name, origins: set.origins)
        return resolved.values
    }
}

/// A problem with one host's inventory variables, naming the host, the variable and its file.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The variable at fault, when there is one.
    public var variable: String?

    public init(_ message: String) { self.message = message }

    public init(host: String, variable: String, origin: String?, _ problem: String) {
        message = "host `\(host)`: the variable `\(variable)`\(origin.map { " (\($0))" } ?? ""): \(problem)"
        self.variable = variable
    }

    public var description: String { message }
}
