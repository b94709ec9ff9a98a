import Execution
import Foundation
import Planning
import Testing
import Transport

/// What `runbook plan` prints is what runs: executing a plan against the dry-run printer transport
/// sends exactly the plan's commands, in graph order.
@Suite struct PlanContractTests {
    @Test func executionSendsExactlyThePlannedCommands() async throws {
        let printer = PrinterTransport(host: "local")
        nonisolated(unsafe) var captured: RunPlan?
        let (summary, _) = try await apply(
            """
            lock false
            param :dir, type: :path, default: "/srv/my app"
            param :token, default: "x", secret: true
            step :a do
              run "echo #{token} > token.txt", cwd: dir, env: { MODE: "prod; rm -rf /" }
            end
            step :b, after: :a do
              clean_cache "#{dir}/.next"
              upload "Package.swift", to: "#{dir}/Package.swift", mode: "0600"
            end
            step :c, after: :b do
              symlink "#{dir}/current", to: "#{dir}/releases/#{release}"
              free_port 3002, grace: "1s"
            end
            """, set: ["token": "s3cret"], transports: { _ in printer }, planned: { captured = $0 })
        #expect(summary.exitStatus == 0)
        let plan = try #require(captured?.hosts.first)
        var expected: [String] = []
        for step in plan.steps {
            for action in step.actions {
                for operation in action.operations {
                    switch operation {
                    case .shell(let command, _): expected.append("$ " + command.script)
                    case .upload(let source, let temporary, let mode):
                        expected.append("sftp \(source) → \(temporary) (mode \(mode.map { String(Int($0, radix: 8) ?? 0, radix: 8) } ?? "644"))")
                    default: Issue.record("unexpected operation \(operation.display)")
                    }
                }
            }
        }
        // Then what was moved aside is removed, once the host passed.
        for step in plan.steps { for action in step.actions { expected += action.cleanup.map { "$ " + $0.script } } }
        #expect(printer.recorded == expected)
        // The secret reaches the command itself, never its display.
        #expect(printer.recorded.first?.contains("s3cret") == true)
        #expect(plan.steps.first?.actions.first?.operations.first?.display.contains("s3cret") == false)
    }
}
