import Foundation
import Inventory
import Planning
import RunbookLanguage
import RunbookModel
import TestSupport

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func loadRunbook(_ relativePath: String) throws -> Runbook {
    let url = repositoryRoot.appendingPathComponent(relativePath)
    return try Validator.load(path: relativePath, bytes: [UInt8](Data(contentsOf: url))).get()
}

func runbook(_ body: String) throws -> Runbook {
    try Validator.load(SourceFile(path: "t.rb", text: "runbook \"t\" do\n\(body)\nend\n")).get()
}

func inventory(_ text: String, path: String = "hosts.ini") throws -> Inventory {
    try InventoryLoader.parse(text, path: path)
}

func planner(_ runbook: Runbook, _ inventory: Inventory, set: [String: String] = [:], rollout: RolloutOverrides = RolloutOverrides())
    -> Planner
{
    var planner = Planner(
        runbook: runbook, inventory: inventory, sshConfig: .empty, overrides: set, rollout: rollout, runID: "RUN1", release: "20261124000000",
        home: "/home/test", localUser: "test")
    // Plans pinned by golden files must not depend on the machine or the environment running the tests.
    planner.controller = "controller"
    planner.lockFolder = nil
    return planner
}

/// Runs `sh -c script` and returns its standard output and exit status.
func sh(_ script: String) throws -> (output: String, status: Int32) {
    let result = try runProcess(["/bin/sh", "-c", script])
    return (result.stdout, result.status)
}
