import Foundation
import Inventory
import Planning
import Testing

/// Plans of the example runbooks against the example inventory, compared line by line with the files
/// in Tests/Fixtures/plans (regenerate with RUNBOOK_UPDATE_GOLDEN=1 after reading the difference).
@Suite struct GoldenPlanTests {
    static let cases: [(runbook: String, hosts: String)] = [
        ("runbooks/recover.rb", "web"), ("runbooks/release.rb", "all"), ("runbooks/rolling-restart.rb", "web:!web3"),
        ("runbooks/ipv4-bind.rb", "web1"),
    ]

    @Test(arguments: cases)
    func planMatchesTheExpectedText(runbookPath: String, hosts: String) throws {
        let book = try loadRunbook(runbookPath)
        let inv = try InventoryLoader.load(path: repositoryRoot.appendingPathComponent("inventory/hosts.yml").path)
        var plan = try planner(book, inv).plan(hosts: HostPattern(hosts))
        plan.inventorySource = "inventory/hosts.yml"
        let text = PlanPrinter.text(plan)
        let name = URL(fileURLWithPath: runbookPath).deletingPathExtension().lastPathComponent
        let golden = repositoryRoot.appendingPathComponent("Tests/Fixtures/plans/\(name).txt")
        if ProcessInfo.processInfo.environment["RUNBOOK_UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, pair) in zip(actualLines, expectedLines).enumerated() where pair.0 != pair.1 {
            Issue.record("line \(index + 1) differs:\n  expected: \(pair.1)\n  actual:   \(pair.0)")
            return
        }
        #expect(actualLines.count == expectedLines.count)
    }

    @Test func jsonPlanIsOneDocumentWithEveryHost() throws {
        let book = try loadRunbook("runbooks/recover.rb")
        let inv = try InventoryLoader.load(path: repositoryRoot.appendingPathComponent("inventory/hosts.yml").path)
        let json = try PlanPrinter.json(try planner(book, inv).plan(hosts: HostPattern("all")))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let hosts = object?["hosts"] as? [[String: Any]]
        #expect(hosts?.map { $0["host"] as? String } == ["web1", "web2", "web3", "worker01", "worker02"])
        let steps = hosts?.first?["steps"] as? [[String: Any]]
        #expect(steps?.map { $0["name"] as? String } == ["stop", "free_port", "clean_cache", "rebuild", "start", "save"])
        let rollout = object?["rollout"] as? [String: Any]
        #expect((rollout?["batches"] as? [[String]])?.count == 1)
    }

    /// Every byte a host can receive (`plan --full`), pinned for one host of each example runbook.
    @Test(arguments: cases)
    func fullPlanPinsEveryByte(runbookPath: String, hosts: String) throws {
        let book = try loadRunbook(runbookPath)
        let inv = try InventoryLoader.load(path: repositoryRoot.appendingPathComponent("inventory/hosts.yml").path)
        var plan = try planner(book, inv).plan(hosts: HostPattern(hosts))
        plan.inventorySource = "inventory/hosts.yml"
        plan.hosts = Array(plan.hosts.prefix(1))
        let text = PlanPrinter.text(plan, full: true)
        let name = URL(fileURLWithPath: runbookPath).deletingPathExtension().lastPathComponent
        let golden = repositoryRoot.appendingPathComponent("Tests/Fixtures/plans/\(name).full.txt")
        if ProcessInfo.processInfo.environment["RUNBOOK_UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        for (index, pair) in zip(
            text.split(separator: "\n", omittingEmptySubsequences: false), expected.split(separator: "\n", omittingEmptySubsequences: false)
        )
        .enumerated() where pair.0 != pair.1 {
            Issue.record("line \(index + 1) differs:\n  expected: \(pair.1)\n  actual:   \(pair.0)")
            return
        }
        #expect(text == expected)
    }
}
