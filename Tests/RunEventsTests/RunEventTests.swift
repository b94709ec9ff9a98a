import Foundation
import RunEvents
import Testing

/// One event of every kind, with values that survive the JSON form (milliseconds, rounded durations).
let everyKind: [RunEvent] = {
    let time = Date(timeIntervalSince1970: 1_795_000_000.125)
    let kinds: [(String?, Int?, RunEvent.Kind)] = [
        (nil, nil, .runStarted(runbook: "deploy", runID: "20261124-101500-ab12", hosts: ["web1", "web2"], batches: [["web1"], ["web2"]])),
        (nil, 2, .batchStarted(index: 2, hosts: ["web2"], canary: false)),
        ("web1", 1, .hostStarted),
        ("web1", 1, .hostKey(fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")),
        ("web1", 1, .stepStarted(step: "build", attempt: 2)),
        ("web1", 1, .stepSkipped(step: "seed", reason: "`test -e /srv/app/seeded` holds (creates:)")),
        ("web1", 1, .actionSkipped(step: "seed", action: "run ./seed", reason: "`test -e /srv/app/seeded` holds (creates:)")),
        ("web1", 1, .actionCompleted(step: "build", index: 0, action: "run npm ci")),
        ("web1", 1, .stepFinished(step: "build", ok: false, exitStatus: 2, duration: 1.25, message: "`npm ci` exited 2")),
        ("web1", 1, .stepFinished(step: "link", ok: true, exitStatus: nil, duration: 0.5, message: nil)),
        ("web1", 1, .output(step: "build", stream: "stderr", text: "npm ERR! ••••")),
        ("web1", 1, .verifyStarted(name: "verify")),
        ("web1", 1, .assertion(verification: "verify", description: "listening 3000", holds: true, expected: "listening 3000", found: "node pid 12")),
        ("web1", 1, .undo(step: "build", action: "run npm ci", commands: "rm -rf node_modules", ok: false, message: "exited 1")),
        ("web1", 1, .hostFinished(result: .rollbackFailed, message: "step build failed", left: ["build: run by hand: rm -rf x"], duration: 3.5)),
        ("web2", 2, .hostFinished(result: .unreachable, message: "cannot connect to 10.0.0.12:22: Connection refused", left: [], duration: 0)),
        (nil, nil, .runFinished(exitStatus: 3, results: ["web1": .rollbackFailed, "web2": .unreachable], stoppedBy: "interrupted", duration: 4)),
        (nil, nil, .note("standard output failed (Broken pipe)")),
    ]
    return kinds.map { RunEvent(time: time, host: $0.0, batch: $0.1, $0.2) }
}()

@Suite struct RunEventTests {
    @Test(arguments: everyKind) func everyKindReadsBackAsItWasWritten(_ event: RunEvent) throws {
        let line = event.jsonLine
        #expect(try RunEvent.decode(jsonLine: line) == event, "\(line)")
        #expect(line.contains("\"schema_version\":\(RunEvent.schemaVersion)"))
    }

    @Test func theNamesListIsEveryKindInOrder() {
        var names: [String] = []
        for event in everyKind where names.last != event.name { names.append(event.name) }
        #expect(names == RunEvent.eventNames)
    }

    @Test func keysAreSnakeCase() throws {
        for event in everyKind {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? [String: Any])
            for key in object.keys { #expect(key.allSatisfy { $0.isLowercase || $0 == "_" }, "\(key) in \(event.jsonLine)") }
            #expect(object["event"] as? String == event.name)
        }
        #expect(
            HostResult.allCases.map(\.rawValue) == [
                "ok", "rolled_back", "rollback_failed", "precheck_failed", "failed", "unreachable", "not_started", "unknown",
            ])
        #expect(HostResult.rolledBack.display == "rolled back")
    }

    @Test func anUnreachableHostReadsBackAsUnreachable() throws {
        let line = #"{"duration":0,"event":"host_finished","host":"web2","result":"unreachable","schema_version":1,"time":"2026-11-24T10:15:00.000Z"}"#
        let event = try RunEvent.decode(jsonLine: line)
        #expect(event.kind == .hostFinished(result: .unreachable, message: nil, left: [], duration: 0))
        #expect(HostResult.unreachable.display == "unreachable")
    }

    @Test func anUnknownEventIsAnErrorThatNamesIt() {
        #expect(throws: DecodingError.self) {
            try RunEvent.decode(jsonLine: #"{"event":"step_exploded","schema_version":1,"time":"2026-11-24T10:15:00.000Z"}"#)
        }
    }

    @Test func theRunsFieldsAreSnakeCaseToo() {
        let line = RunEvent(.runFinished(exitStatus: 1, results: ["h": .rolledBack], stoppedBy: "x", duration: 1.23456)).jsonLine
        #expect(line.contains(#""exit_status":1"#))
        #expect(line.contains(#""results":{"h":"rolled_back"}"#))
        #expect(line.contains(#""stopped_by":"x""#))
        #expect(line.contains(#""duration":1.235"#))
    }
}
