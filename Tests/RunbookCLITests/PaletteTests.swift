import RunEvents
import Testing

@testable import RunbookCLI

/// `--color`, NO_COLOR (https://no-color.org) and the colours of results.
@Suite struct PaletteTests {
    @Test(arguments: [
        (ColorChoice.auto, false, true, [String: String](), true),
        (.auto, false, false, [:], false),
        (.auto, false, true, ["NO_COLOR": "1"], false),
        // NO_COLOR set but empty does not count, as the convention says.
        (.auto, false, true, ["NO_COLOR": ""], true),
        (.auto, false, true, ["TERM": "dumb"], false),
        // A flag given on the command line wins over NO_COLOR.
        (.always, false, false, ["NO_COLOR": "1"], true),
        (.never, false, true, [:], false),
        // JSON never has colour.
        (.always, true, true, [:], false),
    ])
    func resolves(_ choice: ColorChoice, json: Bool, terminal: Bool, environment: [String: String], enabled: Bool) {
        #expect(Palette.resolve(choice, json: json, terminal: terminal, environment: environment).enabled == enabled)
    }

    @Test func paintsResultsAndNothingWithoutColour() {
        let palette = Palette(enabled: true)
        #expect(palette.paint(.ok) == "\u{1B}[32mok\u{1B}[0m")
        #expect(palette.paint(.rolledBack) == "\u{1B}[33mrolled back\u{1B}[0m")
        #expect(palette.paint(.failed) == "\u{1B}[31mfailed\u{1B}[0m")
        #expect(palette.paint(.rollbackFailed) == "\u{1B}[1;31mrollback failed\u{1B}[0m")
        #expect(palette.paint(.unreachable) == "\u{1B}[35munreachable\u{1B}[0m")
        #expect(Palette.none.paint(.failed) == "failed")
        #expect(Set(HostResult.allCases.map(Palette.style(of:))).count >= 5)
    }
}

@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("\u{1B}[32mgreen\u{1B}[0m text", "green text"),
        ("10%\r50%\r100% done", "100% done"),
        ("tab\there", "tab here"),
        ("bell\u{07} and nul\u{00}", "bell and nul"),
        ("  padded  \r\n", "padded"),
    ])
    func cleansHostOutput(_ line: String, _ expected: String) {
        #expect(TerminalText.clean(line) == expected)
    }

    @Test func cutsToColumnsWithAnEllipsis() {
        #expect(TerminalText.truncate("abcdef", to: 6) == "abcdef")
        #expect(TerminalText.truncate("abcdefg", to: 6) == "abcde…")
        // Wide characters take two columns.
        #expect(TerminalText.columns("日本語") == 6)
        #expect(TerminalText.truncate("日本語です", to: 6) == "日本…")
    }

    @Test func aStyledLineIsCutBeforeItIsPainted() {
        var line = StyledLine()
        line.add("host", .bold)
        line.add("  a long label")
        let painted = line.render(width: 8, palette: Palette(enabled: true))
        #expect(painted == "\u{1B}[1mhost\u{1B}[0m  a…")
        #expect(line.render(width: 8, palette: .none) == "host  a…")
    }
}
