import Execution
import Foundation
import Planning
import TestSupport
import Testing

/// `env_file` on a real file: the edit keeps comments, order and `export `, quotes only what needs it,
/// and its undo gives back the same bytes, mode and owner.
@Suite(.serialized) struct EnvFileTests {
    @Test func editsInPlaceAndUndoesByteForByte() async throws {
        let folder = try workFolder("envfile")
        let path = "\(folder)/.env"
        let original = "# settings\nexport PORT=3001\nDEBUG=1\n\nNAME='shop'\nKEEP=\"x y\"\n"
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        let owner = getuid() == 0 ? "1234:1234" : "\(getuid()):\(getgid())"
        try shell("chown \(owner) \(path) && chmod 640 \(path) && touch -d '2020-01-02 03:04:05' \(path)")
        let before = try shell("stat -c '%s %a %u:%g %Y %i' \(path) && sha256sum < \(path)")
        let (summary, log) = try await apply(
            """
            param :port, type: :port, default: 3002
            step :edit do
              env_file "\(path)", set: { PORT: port, NAME: "my shop", NEW: "a$b\\"c", EMPTY: "" }, unset: ["DEBUG"]
              run "cp \(path) \(path).seen"
            end
            verify after: :edit, within: "1s" do
              file "\(folder)/never", exists: true
            end
            """)
        #expect(summary.exitStatus == 1)
        #expect(log.undos() == ["edit"])
        let seen = try String(contentsOfFile: "\(path).seen", encoding: .utf8)
        #expect(seen == "# settings\nexport PORT=3002\n\nNAME=\"my shop\"\nKEEP=\"x y\"\nNEW=\"a\\$b\\\"c\"\nEMPTY=\n")
        #expect(try shell("stat -c '%s %a %u:%g %Y %i' \(path) && sha256sum < \(path)") == before)
        #expect(try shell("ls -A \(folder)").split(separator: "\n").sorted() == [".env", ".env.seen"])
    }

    @Test func aMissingFileIsCreatedAndItsUndoRemovesIt() async throws {
        let folder = try workFolder("envfile-new")
        let (summary, _) = try await apply(
            """
            step :edit do
              env_file "\(folder)/.env", set: { PORT: 3000 }
            end
            verify after: :edit, within: "1s" do
              env_file "\(folder)/.env", has: { PORT: 3001 }
            end
            """)
        #expect(summary.outcomes["local"]?.message?.contains("PORT=3000 (expected 3001)") == true, "\(summary.outcomes)")
        #expect(try shell("ls -A \(folder)").isEmpty)
    }

    @Test func aValueWithALineBreakIsRefusedBeforeAnythingRuns() async throws {
        await #expect(throws: PlanningError.self) {
            _ = try await apply(
                """
                param :name, default: "x"
                step :edit do
                  env_file "/tmp/never-written.env", set: { NAME: name }
                end
                """, set: ["name": "a\nb"])
        }
    }
}
