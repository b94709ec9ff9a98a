/// Splits text into words as Python's `shlex.split(text, comments: true)` does (POSIX mode), which is how
/// Ansible splits INI host lines and `ansible_ssh_common_args`.
public enum ShellWords {
    /// Why a line cannot be split.
    public struct Unbalanced: Error, Sendable, Equatable {
        public var message: String
    }

    public static func split(_ text: String, comments: Bool = true) throws(Unbalanced) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "#" where comments:
                // A `#` ends the word it is in and starts a comment to the end of the line.
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
                while let next = scalars.next(), next != "\n" {}
            case "\\":
                inWord = true
                guard let next = scalars.next() else { throw Unbalanced(message: "no escaped character after `\\`") }
                if next != "\n" { current.unicodeScalars.append(next) }
            case "'":
                inWord = true
                var closed = false
                while let next = scalars.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    current.unicodeScalars.append(next)
                }
                if !closed { throw Unbalanced(message: "no closing quotation") }
            case "\"":
                inWord = true
                var closed = false
                while let next = scalars.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = scalars.next() else { break }
                        // Inside double quotes shlex lets a backslash escape only `\` and `"`.
                        if escaped != "\\" && escaped != "\"" { current.unicodeScalars.append(next) }
                        current.unicodeScalars.append(escaped)
                        continue
                    }
                    current.unicodeScalars.append(next)
                }
                if !closed { throw Unbalanced(message: "no closing quotation") }
            default:
                inWord = true
                current.unicodeScalars.append(scalar)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
