/// Expands Ansible host ranges: `web[01:20]`, `db[a:f]`, `n[0:10:2]`, several per name.
public enum HostRange {
    /// An error in a range, with the offending text.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var pattern: String
        public var reason: String
        public var description: String { "invalid host range in `\(pattern)`: \(reason)" }
    }

    /// The names a pattern stands for (the pattern itself when it has no range).
    public static func expand(_ pattern: String) throws(Invalid) -> [String] {
        // An IPv6 address in brackets is not a range.
        if pattern.hasPrefix("["), pattern.contains("::") || pattern.filter({ $0 == ":" }).count > 2 {
            return [pattern]
        }
        guard let open = pattern.firstIndex(of: "[") else { return [pattern] }
        guard let close = pattern[open...].firstIndex(of: "]") else {
            throw Invalid(pattern: pattern, reason: "`[` has no `]`")
        }
        let prefix = String(pattern[..<open])
        let suffix = String(pattern[pattern.index(after: close)...])
        let body = pattern[pattern.index(after: open)..<close]
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
        var middles: [String] = []
        if let low = Int(start), let high = Int(end) {
            guard low <= high else { throw Invalid(pattern: pattern, reason: "the start is after the end") }
            guard (high - low) / step < 100_000 else { throw Invalid(pattern: pattern, reason: "the range is larger than 100,000 hosts") }
            let width = start.count
            let padded = start.hasPrefix("0") && width > 1
            for value in stride(from: low, through: high, by: step) {
                let digits = String(value)
                middles.append(padded ? String(repeating: "0", count: max(0, width - digits.count)) + digits : digits)
            }
        } else if start.count == 1, end.count == 1, let low = start.unicodeScalars.first, let high = end.unicodeScalars.first,
            low.properties.isAlphabetic, high.properties.isAlphabetic
        {
            guard low.value <= high.value else { throw Invalid(pattern: pattern, reason: "the start is after the end") }
            for value in stride(from: low.value, through: high.value, by: step) {
                if let scalar = Unicode.Scalar(value) { middles.append(String(scalar)) }
            }
        } else {
            throw Invalid(pattern: pattern, reason: "the ends must both be numbers or both single letters")
        }
        let tails = try expand(suffix)
        return middles.flatMap { middle in tails.map { prefix + middle + $0 } }
    }
}
