import Foundation
import Testing

@testable import Planning

/// Every form a secret can take in output is masked: raw, shell-quoted, JSON-escaped, line by line.
@Suite struct RedactorTests {
    static let secret = "it's \"q\" \\b/é\nsecond line\n  ab  \n😀 tail"

    @Test func rawAndEveryLine() {
        let redactor = Redactor(secrets: [Self.secret])
        #expect(redactor.redact("<\(Self.secret)>") == "<••••>")
        let lines = Self.secret.split(separator: "\n").map { redactor.redact(String($0)) }
        // `ab` is shorter than four characters: masked only as part of the whole value.
        #expect(lines == ["••••", "••••", "  ab  ", "••••"])
    }

    @Test func shellQuotedForms() {
        let redactor = Redactor(secrets: ["it's a secret"])
        #expect(redactor.redact("+ mysql 'it'\\''s a secret'") == "+ mysql '••••'")
        #expect(redactor.redact("mysql 'it'\"'\"'s a secret'") == "mysql '••••'")
    }

    @Test func jsonFormsAsJSONEncoderAndASCIIEncodersWriteThem() throws {
        let redactor = Redactor(secrets: [Self.secret])
        for slashes in [true, false] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = slashes ? [] : [.withoutEscapingSlashes]
            let json = String(decoding: try encoder.encode(["token": Self.secret]), as: UTF8.self)
            #expect(redactor.redact(json) == #"{"token":"••••"}"#)
        }
        let ascii = #"{"token": "it's \"q\" \\b/\u00e9\nsecond line\n  ab  \n\ud83d\ude00 tail"}"#
        #expect(redactor.redact(ascii) == #"{"token": "••••"}"#)
    }

    @Test func shortValuesAreLeftToTheRenderer() {
        #expect(Redactor(secrets: ["abc"]).redact("abc abcd") == "abc abcd")
        #expect(Redactor(secrets: ["abcd"]).redact("abc abcd") == "abc ••••")
    }

    @Test func longerFormsWinOverShorterOnes() {
        let redactor = Redactor(secrets: ["pass", "password1"])
        #expect(redactor.redact("password1 pass") == "•••• ••••")
    }

    @Test func hostControlCharactersAreMadeVisible() {
        let hostile = "x\u{1B}]52;c;cHduZWQ=\u{07}y\u{1B}[2Jz\rFAKE OK\u{9B}1m"
        #expect(Redactor(secrets: []).redact(hostile) == "x\\x1b]52;c;cHduZWQ=\\x07y\\x1b[2Jz\\x0dFAKE OK\\x9b1m")
        #expect(Redactor(secrets: []).redact("a\tb\r\nc\r") == "a\tb\nc")
    }
}
