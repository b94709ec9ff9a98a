/// One error found in a user's file: what is wrong and exactly where.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var location: SourceLocation
    public var message: String
    /// The line the error is on, shown under the message with a caret.
    public var sourceLine: String?
    /// Errors stop a runbook; warnings are printed and let it run.
    public var severity: Severity = .error
    /// Characters cut from the front of a long `sourceLine`, so the caret still lands under the column.
    private var cutColumns = 0

    /// At most this many errors are kept per file: past it they only repeat, and each costs memory.
    public static let limit = 100

    /// How many characters of a long line are shown around the column.
    static let window = 120

    public init(path: String, location: SourceLocation, message: String, sourceLine: String?) {
        self.path = path
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
        if let sourceLine, sourceLine.utf8.count > Self.window {
            // A minified or hostile file may hold megabytes on one line; keep a window around the caret.
            let characters = Array(sourceLine)
            let from = max(0, min(location.column - 1 - Self.window / 2, characters.count - Self.window))
            let to = min(characters.count, from + Self.window)
            self.sourceLine = (from > 0 ? "…" : "") + String(characters[from..<to]) + (to < characters.count ? "…" : "")
            cutColumns = from > 0 ? from - 1 : 0
        }
    }

    public init(_ message: String, at location: SourceLocation, in file: SourceFile) {
        guard location.line >= 1, location.line <= file.lines.count, file.lines[location.line - 1].utf8.count > Self.window else {
            self.init(path: file.path, location: location, message: message, sourceLine: file.line(location.line))
            return
        }
        // Cut the window from UTF-8 offsets: walking a long line by characters for each error is quadratic.
        let line = file.lines[location.line - 1].utf8
        let bytes = file.text.utf8
        let lineOffset = bytes.distance(from: bytes.startIndex, to: line.startIndex)
        let caret = min(max(0, location.offset - lineOffset), line.count)
        var from = max(0, min(caret - Self.window / 2, line.count - Self.window))
        var to = min(line.count, from + Self.window)
        func isContinuation(_ offset: Int) -> Bool { offset < line.count && line[line.index(line.startIndex, offsetBy: offset)] & 0xC0 == 0x80 }
        while from > 0, isContinuation(from) { from -= 1 }
        while to < line.count, isContinuation(to) { to -= 1 }
        let slice = line[line.index(line.startIndex, offsetBy: from)..<line.index(line.startIndex, offsetBy: to)]
        let text = (from > 0 ? "…" : "") + String(decoding: slice, as: UTF8.self) + (to < line.count ? "…" : "")
        let before = slice.prefix(max(0, caret - from)).filter { $0 & 0xC0 != 0x80 }.count + (from > 0 ? 1 : 0)
        self.init(path: file.path, location: location, message: message, sourceLine: nil)
        sourceLine = text
        cutColumns = max(0, location.column - 1 - before)
    }

    /// `file:line:column: error: message`, then the source line and a caret under the column.
    public var description: String {
        // Control characters would act on the terminal; show their pictures (U+2400...) instead.
        let text = String(String.UnicodeScalarView(message.unicodeScalars.map { $0 == "\n" ? $0 : Self.picture(of: $0) }))
        var out = "\(path):\(location.line):\(location.column): \(severity.rawValue): \(text)"
        if let sourceLine {
            let shown = String(String.UnicodeScalarView(sourceLine.replacingTabs().unicodeScalars.map { Self.picture(of: $0) }))
            let prefix = sourceLine.prefix(max(0, location.column - 1 - cutColumns)).replacingTabs()
            out += "\n  \(shown)\n  \(String(repeating: " ", count: prefix.count))^"
        }
        return out
    }

    private static func picture(of scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0..<0x20: Unicode.Scalar(scalar.value + 0x2400) ?? scalar
        case 0x7F: "\u{2421}"
        case 0x80...0x9F: "\u{FFFD}"
        default: scalar
        }
    }

    /// A piece of the user's text short enough to quote in a message.
    public static func excerpt(_ text: some StringProtocol, limit: Int = 40) -> String {
        guard text.count > limit else { return String(text) }
        return String(text.prefix(limit)) + "…"
    }
}

/// Whether a diagnostic stops the runbook.
public enum Severity: String, Sendable, Hashable {
    case error, warning
}

/// Several diagnostics of one file, reported together.
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { ($0.path, $0.location) < ($1.path, $1.location) }
    }

    public var description: String {
        let count = diagnostics.count
        var summary = "\(count) error\(count == 1 ? "" : "s")"
        // Each stage stops recording at the limit, so past it the count is a lower bound.
        if count >= Diagnostic.limit { summary = "at least \(summary) (the first \(Diagnostic.limit) shown)" }
        return (diagnostics.prefix(Diagnostic.limit).map(\.description) + [summary]).joined(separator: "\n")
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
        // Very long names are not typos, and comparing them costs memory quadratic in their length.
        guard name.utf8.count <= 64 else { return nil }
        var best: (String, Int)?
        for candidate in candidates {
            // Close enough to be a typo, and not so far that the names merely share a letter or two.
            let limit = max(1, min(4, max(name.count, candidate.count) / 2))
            // The distance is at least the difference in length: skip the table when that alone is too far.
            guard abs(name.count - candidate.count) <= limit, min(name.count, candidate.count) > 0 else { continue }
            let distance = editDistance(name.lowercased(), candidate.lowercased())
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
