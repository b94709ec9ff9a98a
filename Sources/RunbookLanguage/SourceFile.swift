/// A position in a source file: 1-based line and column (in characters), and the UTF-8 offset.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool { lhs.offset < rhs.offset }

    public var description: String { "\(line):\(column)" }
}

/// The text of one runbook or inventory file, with its name for diagnostics.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    /// Lines without their terminators, for showing the line of a diagnostic.
    public let lines: [Substring]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        // Splitting on UTF-8 bytes is many times faster than on Characters for large inventories.
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "\n") {
                lines.append(text[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        lines.append(text[start..<utf8.endIndex])
        self.lines = lines
    }

    /// Reads a file, turning unreadable files and invalid UTF-8 into located diagnostics.
    public static func load(path: String, data: [UInt8]) -> Result<SourceFile, Diagnostic> {
        if let text = String(validating: data, as: UTF8.self) {
            return .success(SourceFile(path: path, text: text))
        }
        // Locate the first invalid byte so the user can find it.
        var line = 1
        var column = 1
        var index = 0
        while index < data.count {
            let byte = data[index]
            let length: Int
            switch byte {
            case 0..<0x80: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: length = 0
            }
            let end = index + length
            if length == 0 || end > data.count
                || String(validating: data[index..<end], as: UTF8.self) == nil
            {
                break
            }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index = end
        }
        let location = SourceLocation(line: line, column: column, offset: index)
        return .failure(
            Diagnostic(
                path: path, location: location, message: "the file is not valid UTF-8 (byte \(index))",
                sourceLine: nil))
    }

    /// The text of a 1-based line, or nil past the end.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lines.count else { return nil }
        return String(lines[number - 1])
    }
}
