import Execution
import Foundation
import Planning
import Testing
import Transport
import Wire

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
        // Every command sent is a planned exchange, byte for byte, and in the plan's order.
        let planned = plan.exchanges.compactMap { exchange in exchange.command.flatMap { try? $0.message(secrets: plan.secretValues) } }
        let sent = printer.messages
        var position = 0
        for message in sent {
            guard let found = planned[position...].firstIndex(of: message) else {
                Issue.record("sent a command the plan does not list, or out of order: \(message.stdin)")
                break
            }
            position = found + 1
        }
        // Uploads go through SFTP, listed as transfers.
        #expect(printer.recorded.filter { $0.hasPrefix("sftp ") }.count == plan.exchanges.filter { $0.transfer?.hasPrefix("sftp ") == true }.count)
        #expect(sent.count == plan.exchanges.filter { $0.command != nil && $0.phase != .undo && $0.phase != .release }.count)
        // The secret travels on standard input only: never in a request or in what is shown.
        #expect(sent.contains { $0.stdin.contains("s3cret") })
        #expect(!sent.contains { $0.request.contains("s3cret") })
        #expect(!plan.exchanges.contains { $0.command?.shown.stdin.contains("s3cret") == true })
        #expect(!sent.contains { $0.stdin.contains("B=") && $0.stdin.split(separator: "\n").contains { $0.hasPrefix("B=") && $0.contains("s3cret") } })
    }
}
