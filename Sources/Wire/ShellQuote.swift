/// The one place values become shell words: safe text stays as it is, anything else is single-quoted.
public enum ShellQuote {
    /// Characters that never need quoting in POSIX sh.
    static let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-".unicodeScalars)

    /// `value` as one shell word: unchanged when every character is safe, else in single quotes.
    public static func quote(_ value: String) -> String {
        if !value.isEmpty, value.unicodeScalars.allSatisfy({ safe.contains($0) }) { return value }
        return "'" + value.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// Several words joined by spaces, each quoted.
    public static func join(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }
}
