import Testing

@testable import RunbookLanguage

private func lex(_ text: String) -> ([Token.Kind], [Diagnostic]) {
    var lexer = Lexer(file: SourceFile(path: "t.rb", text: text))
    let tokens = lexer.tokenize().map(\.kind).filter { $0 != .newline && $0 != .endOfFile }
    return (tokens, lexer.diagnostics)
}

private func onlyString(_ text: String) -> [StringPart]? {
    let (tokens, _) = lex(text)
    guard tokens.count == 1, case .string(let literal) = tokens[0] else { return nil }
    return literal.parts
}

@Suite struct LexerTests {
    @Test func wordsLabelsSymbolsAndNumbers() {
        let (tokens, diagnostics) = lex("step :stop, after: [:a, :b], retries: 2_000 # comment\n")
        #expect(diagnostics.isEmpty)
        #expect(
            tokens == [
                .identifier("step"), .symbol("stop"), .comma, .label("after"), .leftBracket, .symbol("a"), .comma,
                .symbol("b"), .rightBracket, .comma, .label("retries"), .integer(2000),
            ])
    }

    @Test func keywords() {
        let (tokens, _) = lex("do end true false nil")
        #expect(tokens == [.keywordDo, .keywordEnd, .keywordTrue, .keywordFalse, .keywordNil])
    }

    @Test(arguments: [
        (##""a\nb\t\"c\"\\d\#{x}""##, "a\nb\t\"c\"\\d#{x}"),
        (##"'it\'s \\ \n #{raw}'"##, "it's \\ \\n #{raw}"),
        (##""""##, ""),
    ])
    func stringEscapes(source: String, expected: String) {
        let parts = onlyString(source)
        let text = parts?.map { if case .text(let t) = $0 { t } else { "?" } }.joined()
        #expect(text == expected)
    }

    @Test func interpolation() {
        let parts = onlyString(##""http://#{host.address}:#{port}/x""##)
        #expect(parts?.count == 5)
        guard let parts, case .interpolation(let path, let location) = parts[1] else {
            Issue.record("no interpolation")
            return
        }
        #expect(path == ["host", "address"])
        #expect(location.column == 9)
        #expect(parts[4] == .text("/x"))
    }

    @Test func interpolationOfAnExpressionIsAnError() {
        let (_, diagnostics) = lex(##""#{port + 1}""##)
        #expect(diagnostics.map(\.message) == ["only a name or `name.field` can be interpolated, not `port + 1`; runbooks have no expressions"])
        #expect(diagnostics.first?.location.column == 2)
    }

    @Test func squigglyHeredocRemovesCommonIndentAndInterpolates() {
        let source = "run <<~SH, cwd: dir\n    cd #{dir}\n      npm ci \\\n        --quiet\n\n    echo done\n  SH\nnext\n"
        let (tokens, diagnostics) = lex(source)
        #expect(diagnostics.isEmpty)
        #expect(tokens.count == 6)
        guard case .string(let literal) = tokens[1] else {
            Issue.record("no heredoc")
            return
        }
        #expect(
            literal.parts == [
                .text("cd "), .interpolation(path: ["dir"], location: SourceLocation(line: 2, column: 8, offset: 27)),
                .text("\n  npm ci     --quiet\n\necho done\n"),
            ])
        #expect(tokens[2] == .comma)
        #expect(tokens[3] == .label("cwd"))
        #expect(tokens[5] == .identifier("next"))
    }

    @Test func literalHeredocKeepsBackslashesAndHashes() {
        let (tokens, _) = lex("run <<~'SH'\n  echo \\$HOME #{x}\n  SH\n")
        #expect(tokens.last == .string(StringLiteral(parts: [.text("echo \\$HOME #{x}\n")])))
    }

    @Test func tokensAfterHeredocKeepTheirLines() {
        var lexer = Lexer(file: SourceFile(path: "t.rb", text: "a <<~X\n  body\nX\nb\n"))
        let tokens = lexer.tokenize()
        let b = tokens.first { $0.kind == .identifier("b") }
        #expect(b?.location.line == 4)
        #expect(b?.location.column == 1)
    }

    @Test(arguments: [
        ("\"abc", "unterminated string: no closing `\"`", 1, 1),
        ("x 'abc", "unterminated string: no closing `'`", 1, 3),
        ("run <<~SH\n  echo\n", "unterminated heredoc: no line `SH` closes the `<<~SH` started here", 1, 5),
        ("run <<SH\nSH\n", "only squiggly heredocs (`<<~ID`) are part of the runbook language", 1, 5),
        (
            "x \"a\\qb\"",
            "unknown escape `\\q`; the escapes are \\n \\t \\\" \\\\ \\#, so write `\\\\q` for a backslash (or use a '...' string or <<~'SH' heredoc)", 1, 5
        ),
        ("x 1.5", "decimal numbers are not part of the runbook language; write durations as strings like \"1500ms\"", 1, 3),
        ("x 10s", "a number cannot be followed by `s`; write a duration as a string, e.g. \"10s\"", 1, 3),
        ("x \"#{a\"", "unterminated interpolation: `#{` has no closing `}`", 1, 4),
    ])
    func lexicalErrors(source: String, message: String, line: Int, column: Int) {
        let (_, diagnostics) = lex(source)
        #expect(diagnostics.first?.message == message)
        #expect(diagnostics.first?.location.line == line)
        #expect(diagnostics.first?.location.column == column)
    }

    @Test func columnsCountCharactersNotBytes() {
        var lexer = Lexer(file: SourceFile(path: "t.rb", text: "x \"héllo\", é"))
        let tokens = lexer.tokenize()
        #expect(tokens[3].location.column == 12)
    }
}
