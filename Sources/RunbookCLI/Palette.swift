import ArgumentParser
import Foundation
import RunEvents

/// `--color auto|always|never`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, always, never
}

/// ANSI colours for text output, or none. JSON never gets any; `auto` colours a terminal only, and
/// NO_COLOR (https://no-color.org: set and not empty) turns `auto` off, while an explicit
/// `--color always` still wins over it, as the convention asks.
struct Palette: Sendable {
    /// A colour, as its SGR parameters.
    enum Style: String, Sendable {
        case green = "32"
        case red = "31"
        case boldRed = "1;31"
        case yellow = "33"
        case magenta = "35"
        case cyan = "36"
        case dim = "2"
        case bold = "1"
    }

    let enabled: Bool

    static let none = Palette(enabled: false)

    /// Whether to colour, from the choice, the output's format, whether standard output is a
    /// terminal, and the environment (NO_COLOR, TERM=dumb).
    static func resolve(_ choice: ColorChoice, json: Bool, terminal: Bool, environment: [String: String]) -> Palette {
        if json { return .none }
        switch choice {
        case .never: return .none
        case .always: return Palette(enabled: true)
        case .auto:
            let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
            return Palette(enabled: terminal && !noColor && environment["TERM"] != "dumb")
        }
    }

    /// The text in a style; unchanged without colour.
    func paint(_ text: String, _ style: Style?) -> String {
        guard enabled, let style, !text.isEmpty else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// Green for ok; yellow where the host is back as it was or was never changed; red where a
    /// failure needs a look; magenta for a host runbook could not reach.
    static func style(of result: HostResult) -> Style {
        switch result {
        case .ok: .green
        case .rolledBack, .precheckFailed: .yellow
        case .failed: .red
        case .rollbackFailed, .unknown: .boldRed
        case .unreachable: .magenta
        case .notStarted: .dim
        }
    }

    func paint(_ result: HostResult, _ text: String? = nil) -> String {
        paint(text ?? result.display, Self.style(of: result))
    }
}
