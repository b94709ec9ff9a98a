/// A span of time written as "500ms", "30s", "5m", "1h" (or "1m30s"); a bare integer means seconds.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) { self.milliseconds = milliseconds }

    public static func seconds(_ seconds: Int) -> TimeSpan { TimeSpan(milliseconds: seconds * 1000) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public var seconds: Double { Double(milliseconds) / 1000 }

    /// Parses "500ms", "30s", "5m", "1h", "1h30m"; nil when the text is not a duration.
    public init?(parsing text: String) {
        var total = 0
        var number: Int?
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let value = number else { return false }
            let factor: Int
            switch unit {
            case "ms": factor = 1
            case "s", "": factor = 1000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            case "d": factor = 86_400_000
            default: return false
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            guard !overflow else { return false }
            total += product
            number = nil
            unit = ""
            sawAny = true
            return true
        }
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                if !unit.isEmpty {
                    guard flush() else { return nil }
                }
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(digit)
                guard !o1, !o2 else { return nil }
                number = sum
            } else if character.isLetter, number != nil {
                unit.append(character)
            } else {
                return nil
            }
        }
        guard flush(), sawAny else { return nil }
        self.milliseconds = total
    }

    /// The shortest way to write the span ("90s", "500ms", "5m").
    public var description: String {
        if milliseconds % 3_600_000 == 0, milliseconds > 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}

extension TimeSpan: Codable {
    /// Encodes as the written form ("10s"), which reads back exactly.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let span = TimeSpan(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a duration: \(text)")
        }
        self = span
    }
}
