import Testing

@testable import RunbookLanguage

private func parse(_ text: String) -> (SyntaxTree, [Diagnostic]) {
    Parser.parse(SourceFile(path: "t.rb", text: text))
}

/// Hostile input: nesting, size, control characters and long lines give located errors in bounded time.
@Suite struct BoundsTests {
    @Test(arguments: [
        ("run ", String(repeating: "[", count: 30_000), "an array"),
        ("run x: ", String(repeating: "{a: ", count: 30_000), "a hash"),
        ("", String(repeating: "step do\n", count: 20_000) + String(repeating: "end\n", count: 20_000), "a block"),
        ("", String(repeating: "step {\n", count: 20_000), "a block"),
    ])
    func deepNestingIsOneLocatedError(prefix: String, body: String, what: String) {
        let (tree, diagnostics) = parse(prefix + body)
        #expect(diagnostics.count == 1)
        #expect(tree.statements.isEmpty)
        let message = "\(what) nested too deeply: more than 200 arrays, hashes and blocks inside each other"
        #expect(diagnostics.first?.message == message)
    }

    @Test func nestingUpToTheLimitParses() {
        let deep = "x " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(parse(deep).1.isEmpty)
        let deeper = "x " + String(repeating: "[", count: 201) + String(repeating: "]", count: 201) + "\n"
        let diagnostic = parse(deeper).1.first
        #expect(diagnostic?.location.column == 203)
        #expect(diagnostic?.description.hasPrefix("t.rb:1:203: error: an array nested too deeply") == true)
    }

    @Test func blocksCountTowardsTheDepth() {
        let text = String(repeating: "step do\n", count: 199) + "run [[1]]\n" + String(repeating: "end\n", count: 199)
        let diagnostic = parse(text).1.first
        #expect(diagnostic?.location == SourceLocation(line: 200, column: 6, offset: 199 * 8 + 5))
    }

    @Test func filesOverTheLimitAreRefused() {
        let text = "# " + String(repeating: "x", count: Parser.maximumFileSize)
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.map(\.message) == ["the file is larger than 1024 KiB, the limit for a runbook; split it or move data into the inventory"])
    }

    @Test(arguments: [
        ("run \"a\u{0}b\"\n", "t.rb:1:7: error: the control character U+0000 is not allowed", "  run \"a\u{2400}b\"\n        ^"),
        ("# \u{1B}[2J\n", "t.rb:1:3: error: the control character U+001B is not allowed", "  # \u{241B}[2J\n    ^"),
        ("x 'a\u{7F}'", "t.rb:1:5: error: the control character U+007F is not allowed", "  x 'a\u{2421}'\n      ^"),
        ("x \"\u{9B}2J\"", "t.rb:1:4: error: the control character U+009B is not allowed", "  x \"\u{FFFD}2J\"\n     ^"),
    ])
    func controlCharactersAreRefusedWhereTheyStand(source: String, start: String, shown: String) {
        let diagnostic = parse(source).1.first
        #expect(diagnostic?.description.hasPrefix(start) == true)
        #expect(diagnostic?.description.hasSuffix(shown) == true)
    }

    @Test func tabsAndCarriageReturnsAreText() {
        #expect(parse("x \"a\tb\"\r\ny 1\n").1.isEmpty)
    }

    @Test func theNULEscapeIsRefused() {
        let (_, diagnostics) = parse("run \"tr '\\0' ' '\"\n")
        #expect(diagnostics.first?.location.column == 10)
        #expect(diagnostics.first?.message.hasPrefix("`\\0` (NUL) cannot be part of a runbook value") == true)
        #expect(parse("run \"tr '\\\\0' ' '\"\n").1.isEmpty)
    }

    @Test func longLinesShowAWindowWithTheCaretInPlace() {
        let text = "x " + String(repeating: "a, ", count: 2_000) + "=, " + String(repeating: "b, ", count: 100) + "c\n"
        let diagnostic = parse(text).1.first
        let lines = diagnostic?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 3)
        #expect(lines[1].count < 130)
        #expect(lines[1].hasPrefix("  …") && lines[1].hasSuffix("…"))
        guard lines.count == 3, let caret = lines[2].firstIndex(of: "^") else {
            Issue.record("no caret")
            return
        }
        let column = lines[2].distance(from: lines[2].startIndex, to: caret)
        #expect(Array(lines[1])[column] == "=")
    }

    @Test func errorsStopAtTheLimit() {
        let text = String(repeating: "= 1\n", count: 5_000)
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.count == Diagnostic.limit)
        #expect(DiagnosticList(diagnostics + diagnostics).description.hasSuffix("at least 200 errors (the first 100 shown)"))
    }

    @Test func longNamesAreQuotedShort() {
        let name = String(repeating: "a", count: 100_000)
        let (_, diagnostics) = parse("\(name).b\n")
        #expect((diagnostics.first?.message.count ?? .max) < 200)
        #expect(Suggestion.nearest(to: name, in: ["a"]) == nil)
    }

    @Test func deepInterpolationIsOneErrorPerString() {
        let text = "x \"" + String(repeating: "#{", count: 50_000) + "\"\n"
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.hasPrefix("unterminated interpolation") == true)
    }
}

/// Found by the fuzzer: a string on a heredoc's line that runs over lines must not pass the heredoc body.
@Suite struct HeredocLineTests {
    @Test(arguments: ["run <<~SH, 'a\nb\n  x\nSH\n", "run <<~SH, \"a\nb\n  x\nSH\n", "run <<~SH, \"a\\\nb\n  x\nSH\n"])
    func aStringRunningOverLinesIsAnError(source: String) {
        let (_, diagnostics) = Parser.parse(SourceFile(path: "t.rb", text: source))
        #expect(diagnostics.first?.message == "a string cannot continue past the end of a line that starts a heredoc; close it on that line")
        #expect(diagnostics.first?.location.column == 12)
    }
}
