import Foundation
import Testing

/// A secret with quotes, backslashes and several lines never reaches text output, JSON events, the
/// journal or `show`, in any of the forms commands print it in.
@Suite struct SecretOutputTests {
    static let secret = "it's \"q\" \\b/é\nsecond line\n😀 tail"
    /// Pieces of every form the secret is printed in by the runbook below.
    static let forbidden = [
        "it's", "it'\\''s", "\\\"q\\\"", "second line", "😀 tail", "\\ud83d", "\\u00e9", "\\/é",
    ]

    static let runbook = #"""
        runbook "secret" do
          param :pw, secret: true
          lock false
          step :raw do
            run "printf '%s\\n' #{pw}; printf '%s\\n' #{pw} >&2"
          end
          step :quoted, after: :raw do
            run "printf '%s\\n' #{pw} | sed \"s/'/'\\\\\\\\''/g\""
          end
          step :json, after: :quoted do
            run "python3 -c 'import json,sys; print(json.dumps(sys.argv[1])); print(json.dumps(sys.argv[1], ensure_ascii=False))' #{pw}"
          end
          step :fails, after: :json do
            run "printf '%s\\n' #{pw} >&2; exit 3"
          end
        end
        """#

    @Test func everyOutputIsMasked() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("secret.rb").path
        try Self.runbook.write(toFile: file, atomically: true, encoding: .utf8)
        let journal = folder.appendingPathComponent("journal").path
        var outputs: [String: String] = [:]
        for format in ["text", "json"] {
            let run = try RunbookBinary.run([
                "apply", file, "--hosts", "local", "--set", "pw=\(Self.secret)", "--format", format, "--journal", journal, "--run-id", "R-\(format)",
            ])
            #expect(run.status == 1, "\(run.stderr)")
            outputs[format] = run.stdout + run.stderr
            let show = try RunbookBinary.run(["show", "R-\(format)", "--journal", journal])
            outputs["show \(format)"] = show.stdout + show.stderr
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: journal) {
            outputs["journal \(name)"] = try String(contentsOfFile: journal + "/" + name, encoding: .utf8)
        }
        #expect(outputs["text"]?.contains("exited 3: ••••") == true)
        #expect(outputs["json"]?.contains(#""line":"\"••••\"""#) == true)
        #expect(outputs.count >= 6)
        for (name, text) in outputs {
            for piece in Self.forbidden { #expect(!text.contains(piece), "\(name) shows `\(piece)`:\n\(text)") }
        }
    }
}
