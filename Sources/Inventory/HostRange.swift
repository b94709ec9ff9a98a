/// Expands Ansible host ranges: `web[01:20]`, `db[a:f]`, `n[0:10:2]`, several per name.
public enum HostRange {
    /// An error in a range, with the offending text.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var pattern: String
        public var reason: String
        public var description: String { "invalid host range in `\(pattern)`: \(reason)" }
    }

    private enum Segment {
        case text(String)
        case range([String])
    }

    /// The names a pattern stands for (the pattern itself when it has no range). All the ranges of a name
    /// together may stand for at most `InventoryLimits.maxHostsPerName` hosts, checked before expanding.
    public static func expand(_ pattern: String) throws(Invalid) -> [String] {
        // An IPv6 address in brackets is not a range.
        if pattern.hasPrefix("["), pattern.contains("::") || pattern.filter({ $0 == ":" }).count > 2 {
            return [pattern]
        }
        var segments: [Segment] = []
        var rest = Substring(pattern)
        var total = 1
        let limit = InventoryLimits.maxHostsPerName
        while let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]") else { throw Invalid(pattern: pattern, reason: "`[` has no `]`") }
            segments.append(.text(String(rest[..<open])))
            let values = try range(String(rest[rest.index(after: open)..<close]), in: pattern)
            let (product, overflow) = total.multipliedReportingOverflow(by: values.count)
            guard !overflow, product <= limit else {
                throw Invalid(pattern: pattern, reason: "its ranges stand for more than \(limit) hosts")
            }
            total = product
            segments.append(.range(values))
            rest = rest[rest.index(after: close)...]
        }
        segments.append(.text(String(rest)))
        var names = [""]
        for segment in segments {
            switch segment {
            case .text(let text): names = names.map { $0 + text }
            case .range(let values): names = names.flatMap { name in values.map { name + $0 } }
            }
        }
        return names
    }

    /// The values of one `start:end[:step]` range.
    private static func range(_ body: String, in pattern: String) throws(Invalid) -> [String] {
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else {
            throw Invalid(pattern: pattern, reason: "a range is `[start:end]` or `[start:end:step]`")
        }
        var step = 1
        if parts.count == 3 {
            guard let parsed = Int(parts[2]), parsed > 0 else { throw Invalid(pattern: pattern, reason: "the step must be a positive integer") }
            step = parsed
        }
        let start = parts[0]
        let end = parts[1]
        let limit = InventoryLimits.maxHostsPerName
        var values: [String] = []
        if let low = Int(start), let high = Int(end) {
            guard low <= high else { throw Invalid(pattern: pattern, reason: "the start is after the end") }
            guard (high - low) / step < limit else { throw Invalid(pattern: pattern, reason: "its ranges stand for more than \(limit) hosts") }
            let width = start.count
            let padded = start.hasPrefix("0") && width > 1
            for value in stride(from: low, through: high, by: step) {
                let digits = String(value)
                values.append(padded ? String(repeating: "0", count: max(0, width - digits.count)) + digits : digits)
            }
        } else if start.count == 1, end.count == 1, let low = start.unicodeScalars.first, let high = end.unicodeScalars.first,
            low.properties.isAlphabetic, high.properties.isAlphabetic
        {
            guard low.value <= high.value else { throw Invalid(pattern: pattern, reason: "the start is after the end") }
            for value in stride(from: low.value, through: high.value, by: step) {
                if let scalar = Unicode.Scalar(value) { values.append(String(scalar)) }
            }
        } else {
            throw Invalid(pattern: pattern, reason: "the ends must both be numbers or both single letters")
        }
        return values
    }
}
