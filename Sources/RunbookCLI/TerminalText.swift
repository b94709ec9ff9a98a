import Foundation

/// Text made fit for one line of a terminal: host output cleaned of control sequences, lines cut to
/// the terminal's width (a line that wraps would break the live block's cursor arithmetic).
enum TerminalText {
    /// The width of standard output's terminal, else `COLUMNS`, else 80.
    static func width(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }

    /// A host's output line as it would end up on its own terminal: what follows the last carriage
    /// return (progress bars redraw with `\r`), without escape sequences or other control characters.
    static func clean(_ line: String) -> String {
        let last = line.split(separator: "\r", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        var result = ""
        var scalars = last.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                // CSI (`ESC [` ... final byte 0x40-0x7E) or a two-byte escape: dropped whole.
                guard let next = scalars.next(), next == "[" else { continue }
                while let byte = scalars.next(), !(0x40...0x7E).contains(byte.value) {}
            case 0x09: result.unicodeScalars.append(" ")
            case 0x00..<0x20, 0x7F..<0xA0: continue
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result.trimmingCharacters(in: .whitespaces)
    }

    /// Columns a character takes: 2 for East Asian wide characters and most emoji, else 1.
    static func columns(_ character: Character) -> Int {
        guard let value = character.unicodeScalars.first?.value else { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// Columns the text takes.
    static func columns(_ text: String) -> Int { text.reduce(0) { $0 + columns($1) } }

    /// The text cut to `limit` columns, with `…` where it was cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard limit > 0 else { return "" }
        guard columns(text) > limit else { return text }
        var result = ""
        var used = 0
        for character in text {
            let width = columns(character)
            if used + width > limit - 1 { break }
            result.append(character)
            used += width
        }
        return result + "…"
    }
}

/// A line made of pieces, each with its own colour, cut to a width before it is painted (so escape
/// sequences never count as columns and are never cut in half).
struct StyledLine {
    var pieces: [(text: String, style: Palette.Style?)] = []

    mutating func add(_ text: String, _ style: Palette.Style? = nil) { pieces.append((text, style)) }

    /// The line in at most `width` columns, painted.
    func render(width: Int, palette: Palette) -> String {
        var left = width
        var result = ""
        for piece in pieces where left > 0 {
            let text = TerminalText.truncate(piece.text, to: left)
            left -= TerminalText.columns(text)
            result += palette.paint(text, piece.style)
        }
        return result
    }
}
