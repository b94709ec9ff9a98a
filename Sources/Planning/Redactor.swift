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

    /// Also makes control characters visible: host output is untrusted, and on a terminal an escape
    /// sequence could rewrite lines (forge an `OK`), set the clipboard (OSC 52) or hide part of a
    /// reviewed command behind a carriage return.
    public func redact(_ text: String) -> String {
        let visible = Self.visible(text)
        guard !forms.isEmpty else { return visible }
        var result = visible
        for form in forms where result.contains(form) {
            result = result.replacing(form, with: secretMask)
        }
        return result
    }

    /// The text with C0 controls (but tab and newline), DEL and C1 controls written as `\xNN`; a
    /// carriage return that ends a line (CRLF output) is dropped.
    public static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            guard isUnsafe(scalar) else {
                out.append(scalar)
                continue
            }
            let next = index + 1 < scalars.count ? scalars[index + 1] : "\n"
            if scalar == "\r", next == "\n" { continue }
            let hex = String(scalar.value, radix: 16)
            out.append(contentsOf: "\\x\(hex.count < 2 ? "0" + hex : hex)".unicodeScalars)
        }
        return String(out)
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\t" && scalar != "\n" && (scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value))
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
