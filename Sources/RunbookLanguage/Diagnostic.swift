/// One error found in a user's file: what is wrong and exactly where.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var location: SourceLocation
    public var message: String
    /// The line the error is on, shown under the message with a caret.
    public var sourceLine: String?

    public init(path: String, location: SourceLocation, message: String, sourceLine: String?) {
        self.path = path
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
    }

    public init(_ message: String, at location: SourceLocation, in file: SourceFile) {
        self.init(path: file.path, location: location, message: message, sourceLine: file.line(location.line))
    }

    /// `file:line:column: error: message`, then the source line and a caret under the column.
    public var description: String {
        var out = "\(path):\(location.line):\(location.column): error: \(message)"
        if let sourceLine {
            let shown = sourceLine.replacingTabs()
            let prefix = sourceLine.prefix(max(0, location.column - 1)).replacingTabs()
            out += "\n  \(shown)\n  \(String(repeating: " ", count: prefix.count))^"
        }
        return out
    }
}

/// Several diagnostics of one file, reported together.
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { ($0.path, $0.location) < ($1.path, $1.location) }
    }

    public var description: String {
        let count = diagnostics.count
        let summary = "\(count) error\(count == 1 ? "" : "s")"
        return (diagnostics.map(\.description) + [summary]).joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingTabs() -> String { replacingOccurrences(of: "\t", with: "    ") }
}

extension Substring {
    fileprivate func replacingTabs() -> String { String(self).replacingTabs() }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Suggests the nearest known name for a misspelt one ("did you mean ...?").
public enum Suggestion {
    /// The closest candidate within a small edit distance, if any.
    public static func nearest(to name: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(name.lowercased(), candidate.lowercased())
            // Close enough to be a typo, and not so far that the names merely share a letter or two.
            let limit = max(1, min(4, max(name.count, candidate.count) / 2))
            guard distance <= limit, distance < min(name.count, candidate.count) else { continue }
            if distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// "; did you mean `x`?" or the empty string.
    public static func hint(for name: String, in candidates: some Sequence<String>) -> String {
        nearest(to: name, in: candidates).map { "; did you mean `\($0)`?" } ?? ""
    }

    /// Edit distance over characters where a swap of two neighbours counts as one edit (typos).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
