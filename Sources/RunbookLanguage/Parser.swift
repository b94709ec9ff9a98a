/// A recursive-descent parser for the runbook grammar; it reports every error it can find, each located.
public struct Parser {
    private let file: SourceFile
    private var tokens: [Token]
    private var index = 0
    private var diagnostics: [Diagnostic]
    /// Open arrays, hashes and blocks around the current token.
    private var depth = 0
    /// Set once nesting went too deep: what follows cannot be matched up, so later errors would be noise.
    private var tooDeep = false

    /// The largest runbook file read (1 MiB): far above any real runbook, and it keeps every bad input cheap.
    public static let maximumFileSize = 1 << 20

    /// The deepest nesting of arrays, hashes and blocks a file may use; deeper input would exhaust the stack.
    public static let maximumDepth = 200

    /// Ruby words that look like statements but belong to the language runbooks deliberately leave out.
    static let rubyKeywords: Set<String> = [
        "if", "unless", "else", "elsif", "while", "until", "for", "case", "when", "def", "class", "module",
        "begin", "rescue", "ensure", "return", "yield", "then", "require", "require_relative", "include",
        "puts", "print", "loop", "each", "lambda", "proc", "and", "or", "not",
    ]

    /// Ruby keywords that open a block closed by `end`, skipped whole after their error.
    static let rubyBlockOpeners: Set<String> = ["if", "unless", "while", "until", "for", "case", "def", "class", "module", "begin"]

    private struct Abort: Error {}

    private init(file: SourceFile) {
        self.file = file
        var lexer = Lexer(file: file)
        self.tokens = lexer.tokenize()
        self.diagnostics = lexer.diagnostics
    }

    /// Parses a whole file; the tree holds what could be read, the diagnostics everything that could not.
    public static func parse(_ file: SourceFile) -> (tree: SyntaxTree, diagnostics: [Diagnostic]) {
        if let tooLarge = sizeDiagnostic(path: file.path, size: file.text.utf8.count) {
            return (SyntaxTree(file: file, statements: []), [tooLarge])
        }
        var parser = Parser(file: file)
        let statements = parser.parseStatements(until: nil, opening: nil)
        if parser.tooDeep { return (SyntaxTree(file: file, statements: []), parser.diagnostics) }
        if statements.isEmpty, parser.diagnostics.isEmpty {
            parser.diagnostics.append(
                Diagnostic("the file is empty; a runbook starts with `runbook \"name\" do`", at: SourceLocation(line: 1, column: 1, offset: 0), in: file))
        }
        return (SyntaxTree(file: file, statements: statements), parser.diagnostics)
    }

    /// The error for a file over `maximumFileSize`, or nil.
    public static func sizeDiagnostic(path: String, size: Int) -> Diagnostic? {
        guard size > maximumFileSize else { return nil }
        return Diagnostic(
            path: path, location: SourceLocation(line: 1, column: 1, offset: 0),
            message: "the file is larger than \(maximumFileSize / 1024) KiB, the limit for a runbook; split it or move data into the inventory",
            sourceLine: nil)
    }

    // MARK: - Token access

    private var current: Token { tokens[index] }

    private func peek(_ ahead: Int = 1) -> Token { tokens[min(index + ahead, tokens.count - 1)] }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    private mutating func skipNewlines() {
        while case .newline = current.kind { advance() }
    }

    private mutating func fail(_ message: String, at location: SourceLocation? = nil) -> Abort {
        report(message, at: location ?? current.location)
        return Abort()
    }

    private mutating func report(_ message: String, at location: SourceLocation) {
        guard diagnostics.count < Diagnostic.limit, !tooDeep else { return }
        diagnostics.append(Diagnostic(message, at: location, in: file))
    }

    /// Enters an array, hash or block opened at `location`, refusing nesting deeper than `maximumDepth`.
    private mutating func enter(_ what: String, at location: SourceLocation) throws(Abort) {
        guard depth < Self.maximumDepth else {
            let abort = fail(
                "\(what) nested too deeply: more than \(Self.maximumDepth) arrays, hashes and blocks inside each other", at: location)
            tooDeep = true
            throw abort
        }
        depth += 1
    }

    // MARK: - Statements

    private enum Closer { case end, brace }

    /// Statements up to the closer (`end` or `}`) or the end of the file at top level.
    private mutating func parseStatements(until closer: Closer?, opening: Token?) -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipNewlines()
            switch current.kind {
            case .endOfFile:
                if let opening, let closer {
                    let word = closer == .end ? "`end`" : "`}`"
                    report("unterminated block: the \(opening.display) on line \(opening.location.line) has no \(word)", at: opening.location)
                }
                return statements
            case .keywordEnd where closer == .end, .rightBrace where closer == .brace:
                advance()
                return statements
            case .keywordEnd, .rightBrace:
                _ = fail("unexpected \(current.display): there is no open block to close here")
                advance()
                continue
            default:
                break
            }
            let start = current
            do {
                statements.append(try parseStatement())
            } catch {
                if case .identifier(let word) = start.kind, Self.rubyBlockOpeners.contains(word), current.location == start.location {
                    skipRubyBlock()
                } else {
                    synchronize()
                }
            }
        }
    }

    /// After an error, skips to the end of the statement, over any block it opened.
    private mutating func synchronize() {
        var depth = 0
        while true {
            switch current.kind {
            case .endOfFile: return
            case .newline where depth == 0: return
            case .keywordEnd where depth == 0, .rightBrace where depth == 0: return
            case .keywordDo, .leftBrace, .leftParen, .leftBracket: depth += 1
            case .keywordEnd, .rightBrace, .rightParen, .rightBracket: depth -= 1
            default: break
            }
            advance()
        }
    }

    /// Skips a Ruby `if ... end` (or `def`, `while`, ...) so its `end` does not close an outer block.
    private mutating func skipRubyBlock() {
        var depth = 0
        var atStatementStart = true
        while true {
            switch current.kind {
            case .endOfFile: return
            case .identifier(let word) where atStatementStart && Self.rubyBlockOpeners.contains(word): depth += 1
            case .keywordDo: depth += 1
            case .keywordEnd:
                depth -= 1
                if depth <= 0 {
                    advance()
                    return
                }
            default: break
            }
            if case .newline = current.kind { atStatementStart = true } else { atStatementStart = false }
            advance()
        }
    }

    private mutating func parseStatement() throws(Abort) -> Statement {
        let start = current
        guard case .identifier(let name) = start.kind else {
            if case .label(let label) = start.kind {
                throw fail("a statement starts with a name; `\(Diagnostic.excerpt(label)):` is a keyword argument and needs a statement before it")
            }
            throw fail("expected a statement, found \(start.display)")
        }
        if Self.rubyKeywords.contains(name) {
            throw fail(
                "`\(name)` is Ruby but not part of the runbook language: runbooks are declarative (use `only_if:`/`unless:` on `run`, or `on:` on a step)")
        }
        advance()
        switch current.kind {
        case .dot:
            throw fail("method calls with a receiver (`\(Diagnostic.excerpt(name)).…`) are not part of the runbook language")
        case .other(let text) where text.hasPrefix("="):
            throw fail("assignments are not part of the runbook language; declare inputs with `param :\(Diagnostic.excerpt(name)), default: ...`")
        default:
            break
        }
        var arguments: [Argument] = []
        if case .leftParen = current.kind {
            let open = current
            advance()
            arguments = try parseArgumentList(closer: .rightParen, opening: open)
        } else if startsArgument(current) {
            arguments = try parseArgumentList(closer: nil, opening: nil)
        }
        var block: Block?
        switch current.kind {
        case .keywordDo, .leftBrace:
            block = try parseBlock()
        default:
            break
        }
        switch current.kind {
        case .newline, .endOfFile, .keywordEnd, .rightBrace:
            break
        default:
            throw fail("expected the end of the line after `\(Diagnostic.excerpt(name))`, found \(current.display)")
        }
        return Statement(name: name, location: start.location, arguments: arguments, block: block)
    }

    private func startsArgument(_ token: Token) -> Bool {
        switch token.kind {
        case .identifier, .label, .string, .integer, .symbol, .keywordTrue, .keywordFalse, .keywordNil, .leftBracket:
            return true
        case .other(let text) where text == "*" || text == "&" || text == "-" || text == "!":
            return true
        default:
            return false
        }
    }

    private mutating func parseBlock() throws(Abort) -> Block {
        let open = current
        let closer: Closer = if case .keywordDo = open.kind { .end } else { .brace }
        try enter("a block", at: open.location)
        defer { depth -= 1 }
        advance()
        if case .pipe = current.kind {
            _ = fail("block parameters (`|x|`) are not part of the runbook language")
            advance()
            while true {
                switch current.kind {
                case .pipe: advance()
                case .newline, .endOfFile: break
                default:
                    advance()
                    continue
                }
                break
            }
        }
        let statements = parseStatements(until: closer, opening: open)
        return Block(statements: statements, location: open.location)
    }

    /// Arguments up to `)` (parenthesised: newlines allowed) or to the end of the line / a block.
    private mutating func parseArgumentList(closer: Token.Kind?, opening: Token?) throws(Abort) -> [Argument] {
        var arguments: [Argument] = []
        if closer != nil { skipNewlines() }
        if let closer, current.kind == closer {
            advance()
            return arguments
        }
        var sawKeyword = false
        var labels = Set<String>()
        while true {
            let argument = try parseArgument()
            if argument.label != nil {
                sawKeyword = true
            } else if sawKeyword {
                throw fail("a positional argument cannot follow keyword arguments", at: argument.value.location)
            }
            if let label = argument.label, !labels.insert(label).inserted {
                throw fail("the keyword argument `\(Diagnostic.excerpt(label)):` is given twice", at: argument.labelLocation)
            }
            arguments.append(argument)
            if closer != nil { skipNewlines() }
            if case .comma = current.kind {
                advance()
                skipNewlines()
                continue
            }
            if let closer {
                if current.kind == closer {
                    advance()
                    return arguments
                }
                if case .endOfFile = current.kind, let opening {
                    throw fail("unterminated argument list: the `(` on line \(opening.location.line) has no `)`", at: opening.location)
                }
                throw fail("expected `,` or `)` in the argument list, found \(current.display)")
            }
            return arguments
        }
    }

    private mutating func parseArgument() throws(Abort) -> Argument {
        if case .label(let label) = current.kind {
            let location = current.location
            advance()
            skipNewlines()
            let value = try parseValue()
            return Argument(label: label, labelLocation: location, value: value)
        }
        return Argument(label: nil, labelLocation: nil, value: try parseValue())
    }

    // MARK: - Values

    private mutating func parseValue() throws(Abort) -> ValueNode {
        let token = current
        let location = token.location
        switch token.kind {
        case .string(let literal):
            advance()
            return ValueNode(.string(literal), at: location)
        case .integer(let value):
            advance()
            return ValueNode(.integer(value), at: location)
        case .symbol(let name):
            advance()
            return ValueNode(.symbol(name), at: location)
        case .keywordTrue:
            advance()
            return ValueNode(.bool(true), at: location)
        case .keywordFalse:
            advance()
            return ValueNode(.bool(false), at: location)
        case .keywordNil:
            advance()
            return ValueNode(.null, at: location)
        case .identifier(let name):
            advance()
            if case .dot = current.kind {
                throw fail(
                    "method calls with a receiver (`\(Diagnostic.excerpt(name)).…`) are not part of the runbook language; interpolate fields in a string: \"#{\(Diagnostic.excerpt(name)).field}\""
                )
            }
            if case .leftParen = current.kind, !current.spaceBefore {
                throw fail("method calls (`\(Diagnostic.excerpt(name))(...)`) are not part of the runbook language", at: location)
            }
            if Self.rubyKeywords.contains(name) {
                throw fail("`\(name)` is Ruby but not part of the runbook language", at: location)
            }
            return ValueNode(.reference(name), at: location)
        case .leftBracket:
            try enter("an array", at: location)
            defer { depth -= 1 }
            advance()
            var elements: [ValueNode] = []
            skipNewlines()
            while true {
                if case .rightBracket = current.kind {
                    advance()
                    return ValueNode(.array(elements), at: location)
                }
                if case .endOfFile = current.kind {
                    throw fail("unterminated array: the `[` on line \(location.line) has no `]`", at: location)
                }
                elements.append(try parseValue())
                skipNewlines()
                if case .endOfFile = current.kind {
                    throw fail("unterminated array: the `[` on line \(location.line) has no `]`", at: location)
                }
                if case .comma = current.kind {
                    advance()
                    skipNewlines()
                } else if case .rightBracket = current.kind {
                    continue
                } else {
                    throw fail("expected `,` or `]` in the array, found \(current.display)")
                }
            }
        case .leftBrace:
            try enter("a hash", at: location)
            defer { depth -= 1 }
            advance()
            var entries: [HashEntry] = []
            var keys = Set<String>()
            skipNewlines()
            while true {
                if case .rightBrace = current.kind {
                    advance()
                    return ValueNode(.hash(entries), at: location)
                }
                if case .endOfFile = current.kind {
                    throw fail("unterminated hash: the `{` on line \(location.line) has no `}`", at: location)
                }
                let keyLocation = current.location
                let key = try parseHashKey()
                if !keys.insert(key).inserted {
                    throw fail("the key `\(Diagnostic.excerpt(key)):` is given twice in this hash", at: keyLocation)
                }
                skipNewlines()
                entries.append(HashEntry(key: key, keyLocation: keyLocation, value: try parseValue()))
                skipNewlines()
                if case .endOfFile = current.kind {
                    throw fail("unterminated hash: the `{` on line \(location.line) has no `}`", at: location)
                }
                if case .comma = current.kind {
                    advance()
                    skipNewlines()
                } else if case .rightBrace = current.kind {
                    continue
                } else {
                    throw fail("expected `,` or `}` in the hash, found \(current.display)")
                }
            }
        case .other(let text) where text.hasPrefix("*") || text.hasPrefix("&"):
            throw fail("splat and block arguments (`\(Diagnostic.excerpt(text))`) are not part of the runbook language")
        case .other(let text):
            throw fail(
                "`\(Diagnostic.excerpt(text))` is not part of the runbook language: values are strings, integers, symbols, booleans, nil, arrays, hashes and parameter names"
            )
        default:
            throw fail("expected a value, found \(token.display)")
        }
    }

    /// `key:` or, as Ruby allows, `"key":` (a plain string right before the colon: `{"data.status": "ok"}`).
    private mutating func parseHashKey() throws(Abort) -> String {
        switch current.kind {
        case .label(let key):
            advance()
            return key
        case .string(let literal):
            let stringToken = current
            advance()
            guard case .other(":") = current.kind, !current.spaceBefore else {
                throw fail("expected `:` right after the string key \(stringToken.display) (write `{ \"key\": value }`)")
            }
            guard let key = literal.plainText, !key.isEmpty else {
                throw fail("a hash key cannot interpolate values or be empty", at: stringToken.location)
            }
            advance()
            return key
        default:
            throw fail("expected a `key:` in the hash, found \(current.display) (write `{ key: value }`)")
        }
    }
}
