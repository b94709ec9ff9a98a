import Foundation
import Wire

/// Masks secret values anywhere in text that is about to be shown or stored (output of commands,
/// URLs, paths), in every form a value takes on its way there: as it is, shell-quoted, JSON-escaped,
/// and line by line (output arrives one line at a time). See docs/security.md for the rules on short values.
public struct Redactor: Sendable {
    /// Every form to mask, longest first so a longer form is masked before a shorter one inside it.
    private let forms: [String]

    /// Shorter values (and lines of a multi-line value) are masked only where runbook renders them,
    /// since replacing two or three characters everywhere would garble output without hiding much.
    public static let minimumLength = 4

    public init(secrets: [String]) {
        var forms = Set<String>()
        for secret in secrets {
            for form in Self.forms(of: secret) where form.count >= Self.minimumLength { forms.insert(form) }
        }
        self.forms = forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    public func redact(_ text: String) -> String {
        guard !forms.isEmpty else { return text }
        var result = text
        for form in forms where result.contains(form) {
            result = result.replacing(form, with: secretMask)
        }
        return result
    }

    /// The texts a secret may appear as in output.
    static func forms(of secret: String) -> [String] {
        guard secret.count >= minimumLength else { return [] }
        var forms = [secret] + shellQuotedBodies(secret) + jsonForms(secret)
        // Output is split into lines before it is masked, so each line of the value must be masked alone.
        let lines = secret.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        if lines.count > 1 {
            for line in lines {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.count >= minimumLength else { continue }
                forms += [trimmed] + shellQuotedBodies(trimmed) + jsonForms(trimmed)
            }
        }
        return forms
    }

    /// The value inside single quotes as ShellQuote and `set -x` write it (`'` becomes `'\''`), and
    /// as Python's shlex.quote does (`'"'"'`).
    private static func shellQuotedBodies(_ value: String) -> [String] {
        guard value.contains("'") else { return [] }
        return [value.replacing("'", with: "'\\''"), value.replacing("'", with: "'\"'\"'")]
    }

    /// The value inside a JSON string: as JSONEncoder writes it (with and without `\/`), and as
    /// ASCII-only encoders (Python's json.dumps, jq -a) write it.
    private static func jsonForms(_ value: String) -> [String] {
        var forms: [String] = []
        for escapingSlashes in [true, false] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = escapingSlashes ? [] : [.withoutEscapingSlashes]
            if let data = try? encoder.encode([value]) {
                // `["..."]`: drop the brackets and quotes around the string.
                let text = String(decoding: data, as: UTF8.self)
                forms.append(String(text.dropFirst(2).dropLast(2)))
            }
        }
        var ascii = ""
        for unit in value.utf16 {
            switch unit {
            case 0x22: ascii += "\\\""
            case 0x5C: ascii += "\\\\"
            case 0x0A: ascii += "\\n"
            case 0x0D: ascii += "\\r"
            case 0x09: ascii += "\\t"
            case 0x08: ascii += "\\b"
            case 0x0C: ascii += "\\f"
            case 0x20..<0x7F: ascii.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                ascii += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        forms.append(ascii)
        return forms
    }
}
