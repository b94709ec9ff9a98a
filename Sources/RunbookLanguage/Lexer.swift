/// Turns runbook source text into tokens, collecting located errors instead of stopping at the first.
public struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0
    /// Where lexing resumes after the current line when heredoc bodies follow it.
    private var resumeAfterLine: Int?
    private var tokens: [Token] = []
    /// Set when a heredoc line ended in a backslash, which joins it with the next line.
    private var lastLineJoined = false
    /// The last column computed, so columns on a long line cost O(1) each instead of a rescan.
    private var columnCache = (lineStart: 0, offset: 0, column: 1)
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: SourceFile) {
        self.file = file
        self.bytes = Array(file.text.utf8)
    }

    /// Lexes the whole file; the last token is always `.endOfFile`.
    public mutating func tokenize() -> [Token] {
        reportControlCharacters()
        var spaceBefore = true
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
                spaceBefore = true
                continue
            case UInt8(ascii: "\\") where peek(1) == UInt8(ascii: "\n"):
                position += 1
                newline()
                spaceBefore = true
                continue
            case UInt8(ascii: "#"):
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
                spaceBefore = true
                continue
            case UInt8(ascii: "\n"), UInt8(ascii: ";"):
                append(.newline, at: location(), spaceBefore)
                if byte == UInt8(ascii: "\n") { newline() } else { position += 1 }
                spaceBefore = true
                continue
            default:
                break
            }
            lexToken(spaceBefore: spaceBefore)
            spaceBefore = false
        }
        append(.newline, at: location(), true)
        append(.endOfFile, at: location(), true)
        return tokens
    }

    // MARK: - Positions

    private func peek(_ ahead: Int) -> UInt8? {
        let index = position + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    private mutating func location(at offset: Int? = nil) -> SourceLocation {
        let offset = offset ?? position
        return SourceLocation(line: line, column: column(of: offset, lineStart: lineStart), offset: offset)
    }

    private mutating func column(of offset: Int, lineStart: Int) -> Int {
        var column = 1
        var index = lineStart
        if columnCache.lineStart == lineStart, columnCache.offset <= offset {
            column = columnCache.column
            index = columnCache.offset
        }
        while index < offset {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        // Continuation bytes at `offset` itself belong to the previous character.
        columnCache = (lineStart, offset, column)
        return column
    }

    /// Raw control characters (other than tab, newline and carriage return) are never meant: a NUL cuts
    /// a command or a path short where C reads it, and the others hide text on a terminal.
    private mutating func reportControlCharacters() {
        var currentLine = 1
        var start = 0
        var reported = 0
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                currentLine += 1
                start = offset + 1
                continue
            }
            // C1 controls (U+0080-U+009F, UTF-8 C2 80-9F) act on some terminals too (U+009B is CSI).
            let c1 = byte == 0xC2 && offset + 1 < bytes.count && (0x80...0x9F).contains(bytes[offset + 1])
            guard (byte < 0x20 || byte == 0x7F || c1), byte != UInt8(ascii: "\t"), byte != UInt8(ascii: "\r") else { continue }
            reported += 1
            guard reported <= 10 else { break }
            let value = c1 ? UInt32(bytes[offset + 1]) : UInt32(byte)
            let hex = String(value, radix: 16, uppercase: true)
            let code = String(repeating: "0", count: 4 - hex.count) + hex
            let at = SourceLocation(line: currentLine, column: column(of: offset, lineStart: start), offset: offset)
            diagnostics.append(
                Diagnostic(
                    "the control character U+\(code) is not allowed in a runbook; write it with printf in the command (e.g. `printf '\\\(String(value, radix: 8))'`)",
                    at: at, in: file))
        }
    }

    /// Consumes a newline at `position`, jumping over heredoc bodies read earlier on this line.
    private mutating func newline() {
        if let resume = resumeAfterLine {
            resumeAfterLine = nil
            // A string that ran over lines has already reported that; it may have passed the body.
            guard resume > position else { return newline() }
            for index in position..<resume where bytes[index] == UInt8(ascii: "\n") { line += 1 }
            position = resume
            var start = resume
            while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            lineStart = start
            return
        }
        position += 1
        line += 1
        lineStart = position
    }

    private mutating func append(_ kind: Token.Kind, at location: SourceLocation, _ spaceBefore: Bool) {
        tokens.append(Token(kind: kind, location: location, spaceBefore: spaceBefore))
    }

    private mutating func error(_ message: String, at location: SourceLocation) {
        guard diagnostics.count < Diagnostic.limit else { return }
        diagnostics.append(Diagnostic(message, at: location, in: file))
    }

    // MARK: - Tokens

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func lexToken(spaceBefore: Bool) {
        let start = location()
        let byte = bytes[position]
        if Self.isIdentifierStart(byte) {
            lexWord(start: start, spaceBefore: spaceBefore)
            return
        }
        if Self.isDigit(byte) || (byte == UInt8(ascii: "-") && peek(1).map(Self.isDigit) == true) {
            lexNumber(start: start, spaceBefore: spaceBefore)
            return
        }
        switch byte {
        case UInt8(ascii: "\""):
            position += 1
            let parts = lexQuoted(terminator: UInt8(ascii: "\""), opening: start)
            append(.string(StringLiteral(parts: parts)), at: start, spaceBefore)
        case UInt8(ascii: "'"):
            lexSingleQuoted(start: start, spaceBefore: spaceBefore)
        case UInt8(ascii: ":"):
            if let next = peek(1), Self.isIdentifierStart(next) {
                position += 1
                let name = readIdentifier()
                append(.symbol(name), at: start, spaceBefore)
            } else if peek(1) == UInt8(ascii: ":") {
                position += 2
                append(.other("::"), at: start, spaceBefore)
            } else {
                position += 1
                append(.other(":"), at: start, spaceBefore)
            }
        case UInt8(ascii: "<") where peek(1) == UInt8(ascii: "<"):
            lexHeredoc(start: start, spaceBefore: spaceBefore)
        case UInt8(ascii: "("): single(.leftParen, start, spaceBefore)
        case UInt8(ascii: ")"): single(.rightParen, start, spaceBefore)
        case UInt8(ascii: "["): single(.leftBracket, start, spaceBefore)
        case UInt8(ascii: "]"): single(.rightBracket, start, spaceBefore)
        case UInt8(ascii: "{"): single(.leftBrace, start, spaceBefore)
        case UInt8(ascii: "}"): single(.rightBrace, start, spaceBefore)
        case UInt8(ascii: ","): single(.comma, start, spaceBefore)
        case UInt8(ascii: "."): single(.dot, start, spaceBefore)
        case UInt8(ascii: "|"): single(.pipe, start, spaceBefore)
        default:
            // Group runs of operator characters so `=>` or `||` read as one token in the error.
            let operators = Array("=+-*/%&!<>?~^@$`".utf8)
            if operators.contains(byte) {
                var end = position
                while end < bytes.count, operators.contains(bytes[end]) { end += 1 }
                let text = String(decoding: bytes[position..<end], as: UTF8.self)
                position = end
                append(.other(text), at: start, spaceBefore)
            } else {
                let scalarEnd = nextCharacterEnd()
                let text = String(decoding: bytes[position..<scalarEnd], as: UTF8.self)
                position = scalarEnd
                append(.other(text), at: start, spaceBefore)
            }
        }
    }

    private func nextCharacterEnd() -> Int {
        var end = position + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return end
    }

    private mutating func single(_ kind: Token.Kind, _ start: SourceLocation, _ spaceBefore: Bool) {
        position += 1
        append(kind, at: start, spaceBefore)
    }

    private mutating func readIdentifier() -> String {
        let begin = position
        while position < bytes.count, Self.isIdentifierPart(bytes[position]) { position += 1 }
        // Ruby method names may end in ? or !; keep them so the error names the whole word.
        if position < bytes.count, bytes[position] == UInt8(ascii: "?") || bytes[position] == UInt8(ascii: "!"),
            peek(1) != UInt8(ascii: "=")
        {
            position += 1
        }
        return String(decoding: bytes[begin..<position], as: UTF8.self)
    }

    private mutating func lexWord(start: SourceLocation, spaceBefore: Bool) {
        let name = readIdentifier()
        if position < bytes.count, bytes[position] == UInt8(ascii: ":"), peek(1) != UInt8(ascii: ":") {
            position += 1
            append(.label(name), at: start, spaceBefore)
            return
        }
        let kind: Token.Kind =
            switch name {
            case "do": .keywordDo
            case "end": .keywordEnd
            case "true": .keywordTrue
            case "false": .keywordFalse
            case "nil": .keywordNil
            default: .identifier(name)
            }
        append(kind, at: start, spaceBefore)
    }

    private mutating func lexNumber(start: SourceLocation, spaceBefore: Bool) {
        var negative = false
        if bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var value = 0
        var overflow = false
        while position < bytes.count, Self.isDigit(bytes[position]) || bytes[position] == UInt8(ascii: "_") {
            if bytes[position] != UInt8(ascii: "_") {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = sum
            }
            position += 1
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "."), peek(1).map(Self.isDigit) == true {
            position += 1
            while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
            error("decimal numbers are not part of the runbook language; write durations as strings like \"1500ms\"", at: start)
            append(.integer(0), at: start, spaceBefore)
            return
        }
        if position < bytes.count, Self.isIdentifierStart(bytes[position]) {
            let begin = position
            while position < bytes.count, Self.isIdentifierPart(bytes[position]) { position += 1 }
            let suffix = String(decoding: bytes[begin..<position], as: UTF8.self)
            let shown = Diagnostic.excerpt(suffix)
            error("a number cannot be followed by `\(shown)`; write a duration as a string, e.g. \"\(value)\(shown)\"", at: start)
        }
        if overflow { error("the number is too large", at: start) }
        append(.integer(negative ? -value : value), at: start, spaceBefore)
    }

    private mutating func lexSingleQuoted(start: SourceLocation, spaceBefore: Bool) {
        position += 1
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "'") {
                position += 1
                append(.string(StringLiteral(parts: [.text(String(decoding: text, as: UTF8.self))])), at: start, spaceBefore)
                return
            }
            if byte == UInt8(ascii: "\\"), let next = peek(1), next == UInt8(ascii: "'") || next == UInt8(ascii: "\\") {
                text.append(next)
                position += 2
                continue
            }
            if byte == UInt8(ascii: "\n") {
                if crossesHeredoc(start) { break }
                text.append(byte)
                position += 1
                line += 1
                lineStart = position
                continue
            }
            text.append(byte)
            position += 1
        }
        if position < bytes.count {
            append(.string(StringLiteral(parts: [])), at: start, spaceBefore)
            return
        }
        error("unterminated string: no closing `'`", at: start)
        append(.string(StringLiteral(parts: [])), at: start, spaceBefore)
    }

    /// Reads a double-quoted body up to `terminator` (or the end of the text for heredoc lines).
    /// Handles escapes and `#{...}` interpolation; `position` ends after the terminator.
    private mutating func lexQuoted(terminator: UInt8?, opening: SourceLocation, limit: Int? = nil) -> [StringPart] {
        let end = limit ?? bytes.count
        var parts: [StringPart] = []
        var text: [UInt8] = []
        func flush() {
            if !text.isEmpty {
                parts.append(.text(String(decoding: text, as: UTF8.self)))
                text.removeAll()
            }
        }
        while position < end {
            let byte = bytes[position]
            if let terminator, byte == terminator {
                position += 1
                flush()
                return parts
            }
            switch byte {
            case UInt8(ascii: "\\"):
                guard position + 1 < end else {
                    // A trailing backslash in a heredoc line joins it with the next (Ruby's rule).
                    position += 1
                    flush()
                    lastLineJoined = true
                    return parts
                }
                let next = bytes[position + 1]
                let escapes: [UInt8: UInt8] = [
                    UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D,
                    UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "\\"): UInt8(ascii: "\\"),
                    UInt8(ascii: "#"): UInt8(ascii: "#"), UInt8(ascii: "'"): UInt8(ascii: "'"),
                ]
                if let replacement = escapes[next] {
                    text.append(replacement)
                    position += 2
                } else if next == UInt8(ascii: "0") {
                    error(
                        "`\\0` (NUL) cannot be part of a runbook value: it cuts commands and paths short; write `\\\\0` for a backslash and 0 (e.g. `tr '\\\\0' ' '`)",
                        at: location())
                    position += 2
                } else if next == UInt8(ascii: "\n") {
                    if crossesHeredoc(opening) {
                        flush()
                        return parts
                    }
                    position += 2
                    line += 1
                    lineStart = position
                } else {
                    let shown = String(decoding: [next], as: UTF8.self)
                    error(
                        "unknown escape `\\\(shown)`; the escapes are \\n \\t \\\" \\\\ \\#, so write `\\\\\(shown)` for a backslash (or use a '...' string or <<~'SH' heredoc)",
                        at: location())
                    text.append(next)
                    position += 2
                }
            case UInt8(ascii: "#") where position + 1 < end && bytes[position + 1] == UInt8(ascii: "{"):
                flush()
                let at = location()
                position += 2
                let begin = position
                while position < end, bytes[position] != UInt8(ascii: "}"), bytes[position] != UInt8(ascii: "\n"),
                    bytes[position] != (terminator ?? 0)
                {
                    position += 1
                }
                guard position < end, bytes[position] == UInt8(ascii: "}") else {
                    error("unterminated interpolation: `#{` has no closing `}`", at: at)
                    continue
                }
                let inner = String(decoding: bytes[begin..<position], as: UTF8.self)
                position += 1
                let path = inner.split(separator: ".", omittingEmptySubsequences: false).map {
                    String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                }
                let valid =
                    path.count <= 2
                    && path.allSatisfy { part in
                        guard let first = part.utf8.first, Self.isIdentifierStart(first) else { return false }
                        return part.utf8.allSatisfy(Self.isIdentifierPart)
                    }
                if valid {
                    parts.append(.interpolation(path: path, location: at))
                } else {
                    error(
                        "only a name or `name.field` can be interpolated, not `\(Diagnostic.excerpt(inner))`; runbooks have no expressions",
                        at: at)
                }
            case UInt8(ascii: "\n"):
                if crossesHeredoc(opening) {
                    flush()
                    return parts
                }
                text.append(byte)
                position += 1
                line += 1
                lineStart = position
            default:
                text.append(byte)
                position += 1
            }
        }
        if terminator != nil {
            error("unterminated string: no closing `\"`", at: opening)
        }
        flush()
        return parts
    }

    /// A string that would run on into the body of a heredoc started on its line: an error, and the
    /// string ends at the line's end so the body is still read as the heredoc's.
    private mutating func crossesHeredoc(_ opening: SourceLocation) -> Bool {
        guard resumeAfterLine != nil else { return false }
        error("a string cannot continue past the end of a line that starts a heredoc; close it on that line", at: opening)
        return true
    }

    private mutating func lexHeredoc(start: SourceLocation, spaceBefore: Bool) {
        position += 2
        guard position < bytes.count, bytes[position] == UInt8(ascii: "~") else {
            error("only squiggly heredocs (`<<~ID`) are part of the runbook language", at: start)
            append(.string(StringLiteral(parts: [])), at: start, spaceBefore)
            return
        }
        position += 1
        var literal = false
        var quote: UInt8?
        if position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") {
            quote = bytes[position]
            literal = bytes[position] == UInt8(ascii: "'")
            position += 1
        }
        guard position < bytes.count, Self.isIdentifierStart(bytes[position]) else {
            error("a heredoc needs a closing identifier after `<<~`, e.g. `<<~SH`", at: start)
            append(.string(StringLiteral(parts: [])), at: start, spaceBefore)
            return
        }
        let begin = position
        while position < bytes.count, Self.isIdentifierPart(bytes[position]) { position += 1 }
        let identifier = String(decoding: bytes[begin..<position], as: UTF8.self)
        if let quote {
            if position < bytes.count, bytes[position] == quote {
                position += 1
            } else {
                error("the heredoc identifier's quote is not closed", at: start)
            }
        }
        // The body starts on the line after this one (or after an earlier heredoc's body on it).
        var bodyStart: Int
        if let resume = resumeAfterLine {
            bodyStart = resume
        } else {
            bodyStart = position
            while bodyStart < bytes.count, bytes[bodyStart] != UInt8(ascii: "\n") { bodyStart += 1 }
            bodyStart += 1
        }
        var lines: [(start: Int, end: Int)] = []
        var cursor = bodyStart
        var terminated = false
        while cursor < bytes.count {
            var lineEnd = cursor
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > cursor, bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let trimmed = String(decoding: bytes[cursor..<contentEnd], as: UTF8.self).trimmingSpaces()
            if trimmed == identifier {
                terminated = true
                cursor = min(lineEnd + 1, bytes.count)
                break
            }
            lines.append((cursor, contentEnd))
            cursor = lineEnd + 1
        }
        guard terminated else {
            let shown = Diagnostic.excerpt(identifier)
            error("unterminated heredoc: no line `\(shown)` closes the `<<~\(shown)` started here", at: start)
            resumeAfterLine = bytes.count
            append(.string(StringLiteral(parts: [])), at: start, spaceBefore)
            return
        }
        let bodyFirstLine = line + 1 + countNewlines(from: position, to: bodyStart - 1)
        resumeAfterLine = cursor
        let parts = heredocParts(lines: lines, firstLine: bodyFirstLine, literal: literal)
        append(.string(StringLiteral(parts: parts)), at: start, spaceBefore)
    }

    private func countNewlines(from: Int, to: Int) -> Int {
        guard from < to else { return 0 }
        return bytes[from..<to].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Removes the common indentation of the body's non-blank lines, then unescapes each line.
    private mutating func heredocParts(lines: [(start: Int, end: Int)], firstLine: Int, literal: Bool) -> [StringPart] {
        var indent = Int.max
        for (start, end) in lines {
            var index = start
            while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            if index < end { indent = min(indent, index - start) }
        }
        if indent == Int.max { indent = 0 }
        var parts: [StringPart] = []
        let savedPosition = position
        let savedLine = line
        let savedLineStart = lineStart
        for (number, span) in lines.enumerated() {
            let contentStart = min(span.start + indent, span.end)
            // Blank lines shorter than the indent keep nothing.
            let lineBegin = span.start
            if literal {
                parts.append(.text(String(decoding: bytes[contentStart..<span.end], as: UTF8.self) + "\n"))
                continue
            }
            position = contentStart
            line = firstLine + number
            lineStart = lineBegin
            lastLineJoined = false
            var lineParts = lexQuoted(terminator: nil, opening: location(), limit: span.end)
            if !lastLineJoined {
                lineParts.append(.text("\n"))
            }
            parts.append(contentsOf: lineParts)
        }
        position = savedPosition
        line = savedLine
        lineStart = savedLineStart
        return Self.merge(parts)
    }

    private static func merge(_ parts: [StringPart]) -> [StringPart] {
        var merged: [StringPart] = []
        for part in parts {
            if case .text(let text) = part, case .text(let previous)? = merged.last {
                merged[merged.count - 1] = .text(previous + text)
            } else {
                merged.append(part)
            }
        }
        return merged
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        guard let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
