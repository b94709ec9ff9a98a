import Testing

@testable import RunbookLanguage

private func parse(_ text: String) -> (SyntaxTree, [Diagnostic]) {
    Parser.parse(SourceFile(path: "t.rb", text: text))
}

@Suite struct ParserTests {
    @Test func parenthesesAreOptional() {
        let (a, da) = parse("step(:stop, after: :x) do\n  run(\"a\")\nend\n")
        let (b, db) = parse("step :stop, after: :x do\n  run \"a\"\nend\n")
        #expect(da.isEmpty && db.isEmpty)
        #expect(a.statements.map(\.name) == b.statements.map(\.name))
        #expect(a.statements.first?.arguments.map(\.value.kind) == b.statements.first?.arguments.map(\.value.kind))
        #expect(a.statements.first?.arguments.map(\.label) == b.statements.first?.arguments.map(\.label))
        let innerA = a.statements.first?.block?.statements.first?.arguments.map(\.value.kind)
        #expect(innerA == b.statements.first?.block?.statements.first?.arguments.map(\.value.kind))
    }

    @Test func braceBlocksAndHashes() {
        let (tree, diagnostics) = parse("step :x { run \"a\", env: { A: 1, B: \"two\" } }\n")
        #expect(diagnostics.isEmpty)
        let run = tree.statements.first?.block?.statements.first
        #expect(run?.name == "run")
        guard case .hash(let entries)? = run?.arguments.last?.value.kind else {
            Issue.record("no hash")
            return
        }
        #expect(entries.map(\.key) == ["A", "B"])
    }

    @Test func hashKeysMayBeStrings() {
        let (tree, diagnostics) = parse("http \"u\", json: {\"data.status\": \"healthy\", 'a-b':1, plain: 2}\n")
        #expect(diagnostics.isEmpty)
        guard case .hash(let entries)? = tree.statements.first?.arguments.last?.value.kind else {
            Issue.record("no hash")
            return
        }
        #expect(entries.map(\.key) == ["data.status", "a-b", "plain"])
    }

    @Test(arguments: [
        ("x k: {\"a\" : 1}\n", "expected `:` right after the string key"),
        ("x k: {\"#{v}\": 1}\n", "a hash key cannot interpolate values or be empty"),
        ("x k: {\"a\": 1, a: 2}\n", "the key `a:` is given twice in this hash"),
    ])
    func badStringKeys(text: String, message: String) {
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.first?.message.hasPrefix(message) == true, "\(diagnostics.map(\.message))")
    }

    @Test func argumentsContinueAfterACommaOnTheNextLine() {
        let (tree, diagnostics) = parse("run \"a\",\n    cwd: \"/x\",\n    undo: \"b\"\n")
        #expect(diagnostics.isEmpty)
        #expect(tree.statements.first?.arguments.map(\.label) == [nil, "cwd", "undo"])
    }

    @Test func valuesOfEveryKind() {
        let (tree, diagnostics) = parse("x \"s\", 'l', 3, :sym, true, false, nil, [1, 2], name, k: {a: :b}\n")
        #expect(diagnostics.isEmpty)
        let kinds = tree.statements.first?.arguments.map(\.value.kindDescription)
        #expect(
            kinds == [
                "a string", "a string", "an integer", "a symbol", "a boolean", "a boolean", "nil", "an array",
                "the parameter reference `name`", "a hash",
            ])
    }

    @Test func nodesKeepTheirLocations() {
        let (tree, _) = parse("runbook \"x\" do\n  step :a do\n    run \"b\"\n  end\nend\n")
        let step = tree.statements.first?.block?.statements.first
        #expect(step?.location == SourceLocation(line: 2, column: 3, offset: 17))
        #expect(step?.block?.statements.first?.arguments.first?.value.location.column == 9)
    }

    @Test(arguments: [
        (
            "if x\n  run \"a\"\nend\n",
            "`if` is Ruby but not part of the runbook language: runbooks are declarative (use `only_if:`/`unless:` on `run`, or `on:` on a step)", 1, 1
        ),
        ("foo.bar\n", "method calls with a receiver (`foo.…`) are not part of the runbook language", 1, 4),
        ("x = 3\n", "assignments are not part of the runbook language; declare inputs with `param :x, default: ...`", 1, 3),
        ("step :a do |s|\nend\n", "block parameters (`|x|`) are not part of the runbook language", 1, 12),
        ("run \"a\", b: 1, \"c\"\n", "a positional argument cannot follow keyword arguments", 1, 16),
        ("run \"a\", b: 1, b: 2\n", "the keyword argument `b:` is given twice", 1, 16),
        ("run(\"a\"\n", "unterminated argument list: the `(` on line 1 has no `)`", 1, 4),
        ("run [1, 2\n", "unterminated array: the `[` on line 1 has no `]`", 1, 5),
        ("x do\n  y\n", "unterminated block: the `do` on line 1 has no `end`", 1, 3),
        ("x {\n", "unterminated block: the `{` on line 1 has no `}`", 1, 3),
        ("end\n", "unexpected `end`: there is no open block to close here", 1, 1),
        ("run \"a\" \"b\"\n", "expected the end of the line after `run`, found a string", 1, 9),
        ("run cmd(1)\n", "method calls (`cmd(...)`) are not part of the runbook language", 1, 5),
        ("run *args\n", "splat and block arguments (`*`) are not part of the runbook language", 1, 5),
        ("x key: \n", "expected a value, found the end of the file", 2, 1),
        ("run \"x\", env: { :a => 1 }\n", "expected a `key:` in the hash, found `:a` (write `{ key: value }`)", 1, 17),
        ("name: 3\n", "a statement starts with a name; `name:` is a keyword argument and needs a statement before it", 1, 1),
        ("", "the file is empty; a runbook starts with `runbook \"name\" do`", 1, 1),
        ("# only a comment\n", "the file is empty; a runbook starts with `runbook \"name\" do`", 1, 1),
    ])
    func syntaxErrors(source: String, message: String, line: Int, column: Int) {
        let (_, diagnostics) = parse(source)
        #expect(diagnostics.first?.message == message)
        #expect(diagnostics.first?.location.line == line)
        #expect(diagnostics.first?.location.column == column)
    }

    @Test func reportsEveryErrorNotJustTheFirst() {
        let (tree, diagnostics) = parse("runbook \"x\" do\n  a.b\n  if c\n    d\n  end\n  e = 1\n  step :ok do\n    run \"x\"\n  end\nend\n")
        #expect(diagnostics.map(\.location.line) == [2, 3, 6])
        // The `if ... end` is skipped whole, so the step after it still belongs to the runbook.
        #expect(tree.statements.count == 1)
        #expect(tree.statements.first?.block?.statements.map(\.name) == ["step"])
    }

    @Test func diagnosticsPrintFileLineColumnSourceAndCaret() {
        let file = SourceFile(path: "runbooks/x.rb", text: "runbook \"x\" do\n\tfoo.bar\nend\n")
        let (_, diagnostics) = Parser.parse(file)
        #expect(
            diagnostics.first?.description
                == "runbooks/x.rb:2:5: error: method calls with a receiver (`foo.…`) are not part of the runbook language\n      foo.bar\n         ^")
    }
}
