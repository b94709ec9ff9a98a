import Execution
import Foundation
import TestSupport
import Testing

/// v2: the rollback block runs only on a host where an action with an effect completed (or started).
@Suite(.serialized) struct RollbackBlockTests {
    @Test func aFailureBeforeAnyChangeRunsNoRollbackBlock() async throws {
        let folder = try workFolder("noblock")
        let (summary, log) = try await apply(
            """
            step :wait do
              wait_for port: \(freePort()), timeout: "1s"
            end
            rollback do
              run "touch \(folder)/rolled-back"
            end
            """)
        #expect(summary.exitStatus == 1)
        #expect(log.undos().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/rolled-back"))
    }

    @Test func theBlockRunsAfterAChangeAndItsOutputFollowsItsHeader() async throws {
        let folder = try workFolder("block")
        let (summary, log) = try await apply(
            """
            step :change do
              run "touch \(folder)/changed", undo: "rm \(folder)/changed"
              run "false"
            end
            rollback do
              run "echo from-the-block"
            end
            """)
        #expect(summary.exitStatus == 1)
        #expect(log.undos() == ["change", "rollback"])
        let kinds = log.all.compactMap { event -> String? in
            switch event.kind {
            case .note(let text) where text.contains("rollback block"): return "header"
            case .output(let step, _, let text) where step == "rollback" && text == "from-the-block": return "output"
            default: return nil
            }
        }
        #expect(kinds == ["header", "output"])
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/changed"))
    }
}
