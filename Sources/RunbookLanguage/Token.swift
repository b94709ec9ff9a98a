/// A lexical token of the runbook language.
public struct Token: Sendable, Hashable {
    /// The kinds of token the lexer produces.
    public enum Kind: Sendable, Hashable {
        case identifier(String)
        /// `name:` written without a space before the colon: a keyword argument or hash key.
        case label(String)
        case string(StringLiteral)
        case integer(Int)
        case symbol(String)
        case keywordDo, keywordEnd, keywordTrue, keywordFalse, keywordNil
        case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
        case comma, newline, dot, pipe
        /// Ruby punctuation outside the subset (`=`, `+`, `=>`, ...), kept for a clear error.
        case other(String)
        case endOfFile
    }

    public var kind: Kind
    public var location: SourceLocation
    /// True when white space (or a comment) stands right before the token.
    public var spaceBefore: Bool

    /// A short description of the token for "expected X, found Y" messages.
    public var display: String {
        switch kind {
        case .identifier(let name): "`\(Diagnostic.excerpt(name))`"
        case .label(let name): "`\(Diagnostic.excerpt(name)):`"
        case .string: "a string"
        case .integer(let value): "`\(value)`"
        case .symbol(let name): "`:\(Diagnostic.excerpt(name))`"
        case .keywordDo: "`do`"
        case .keywordEnd: "`end`"
        case .keywordTrue: "`true`"
        case .keywordFalse: "`false`"
        case .keywordNil: "`nil`"
        case .leftParen: "`(`"
        case .rightParen: "`)`"
        case .leftBracket: "`[`"
        case .rightBracket: "`]`"
        case .leftBrace: "`{`"
        case .rightBrace: "`}`"
        case .comma: "`,`"
        case .newline: "the end of the line"
        case .dot: "`.`"
        case .pipe: "`|`"
        case .other(let text): "`\(Diagnostic.excerpt(text))`"
        case .endOfFile: "the end of the file"
        }
    }
}
