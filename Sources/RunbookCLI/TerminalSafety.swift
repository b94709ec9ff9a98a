import Execution

extension TerminalText {
    /// Text from hosts made safe to print whole: a host could otherwise move the cursor, rewrite lines,
    /// set the window title or the clipboard (OSC 52) with escape sequences in its output. Control
    /// characters other than tab and newline (C0, DEL and C1) are shown as pictures (`␛`, `␀`) or `�`.
    static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                out.append(scalar)
                continue
            }
            switch scalar.value {
            case 0..<0x20: out.append(Unicode.Scalar(scalar.value + 0x2400) ?? "\u{FFFD}")
            case 0x7F: out.append("\u{2421}")
            default: out.append("\u{FFFD}")
            }
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t" && scalar != "\n") || (0x7F...0x9F).contains(scalar.value)
    }
}

/// Prints a line that holds text from hosts (output, messages) with its control characters shown.
func printSafely(_ text: String) {
    Output.print(TerminalText.safe(text))
}

extension RunSummary {
    /// The summary with the hosts' messages made safe for the terminal (see `TerminalText.safe`).
    var terminalSafe: RunSummary {
        var copy = self
        for (host, outcome) in outcomes {
            copy.outcomes[host]?.message = outcome.message.map(TerminalText.safe)
            copy.outcomes[host]?.left = outcome.left.map(TerminalText.safe)
        }
        return copy
    }
}
