import Foundation
import RunEvents
import Testing

@testable import RunbookCLI

/// The live block's labels, from the events a host goes through.
@Suite struct LiveViewTests {
    func view(_ kinds: [RunEvent.Kind], rollsBack: Bool = true) -> LiveView {
        var view = LiveView()
        view.rollsBack = rollsBack
        view.handle(RunEvent(.runStarted(runbook: "r", runID: "id", hosts: ["web1", "web2"], batches: [["web1", "web2"]])))
        for kind in kinds { view.handle(RunEvent(host: "web1", kind)) }
        return view
    }

    func label(_ view: LiveView) -> String? { view.state["web1"].map(LiveView.label) }

    func lines(_ view: LiveView, width: Int = 200) -> [String] {
        view.lines(now: Date(), frame: 0, width: width, palette: .none)
    }

    @Test func beforeAnyHostStartsTheBlockSaysItIsConnecting() {
        #expect(lines(view([])) == ["  connecting to 2 hosts and taking their locks, 0.0s"])
    }

    @Test func stepsAndVerificationsRunningAtOnce() {
        let running = view([.hostStarted, .stepStarted(step: "build", attempt: 1), .stepStarted(step: "migrate", attempt: 1)])
        #expect(label(running) == "running build, migrate")
        let both = view([.hostStarted, .stepStarted(step: "build", attempt: 1), .verifyStarted(name: "web")])
        #expect(label(both) == "running build; verifying web")
        #expect(label(view([.hostStarted, .verifyStarted(name: "verify")])) == "verifying")
        // A step whose name starts with "verify" is still a step.
        #expect(label(view([.hostStarted, .stepStarted(step: "verify_db", attempt: 1)])) == "running verify_db")
    }

    @Test func aHostDoneWithItsStepsIsCleaningUpNotConnecting() {
        let done = view([
            .hostStarted, .stepStarted(step: "build", attempt: 1),
            .stepFinished(step: "build", ok: true, exitStatus: 0, duration: 1, message: nil),
        ])
        #expect(label(done) == "cleaning up")
        #expect(label(view([.hostStarted])) == "starting")
    }

    @Test func aPauseBetweenTwoStepsIsNotTheEnd() {
        var between = LiveView()
        between.graph = ["web1": ["build", "start", LiveView.key("verify", check: true)]]
        between.handle(RunEvent(.runStarted(runbook: "r", runID: "id", hosts: ["web1"], batches: [["web1"]])))
        for kind: RunEvent.Kind in [
            .hostStarted, .stepStarted(step: "build", attempt: 1), .stepFinished(step: "build", ok: true, exitStatus: 0, duration: 1, message: nil),
        ] {
            between.handle(RunEvent(host: "web1", kind))
        }
        #expect(label(between) == "running")
        for kind: RunEvent.Kind in [
            .stepStarted(step: "start", attempt: 1), .stepSkipped(step: "start", reason: "guard"), .verifyStarted(name: "verify"),
            .assertion(verification: "verify", description: "d", holds: true, expected: "e", found: "f"),
        ] {
            between.handle(RunEvent(host: "web1", kind))
        }
        #expect(label(between) == "cleaning up")
    }

    @Test func aFailedHostRollsBackOnceItsRunningStepsEnd() {
        var failing = view([
            .hostStarted, .stepStarted(step: "a", attempt: 1), .stepStarted(step: "b", attempt: 1),
            .stepFinished(step: "b", ok: false, exitStatus: 1, duration: 1, message: "exited 1"),
        ])
        #expect(label(failing) == "running a")
        failing.handle(RunEvent(host: "web1", .stepFinished(step: "a", ok: true, exitStatus: 0, duration: 1, message: nil)))
        #expect(label(failing) == "rolling back")
        failing.handle(RunEvent(host: "web1", .undo(step: "a", action: "run x", commands: "y", ok: true, message: nil)))
        #expect(label(failing) == "rolling back")
        // With --no-rollback the host only releases its lock.
        let left = view(
            [.hostStarted, .stepStarted(step: "b", attempt: 1), .stepFinished(step: "b", ok: false, exitStatus: 1, duration: 1, message: "exited 1")],
            rollsBack: false)
        #expect(label(left) == "cleaning up")
        // A failed precheck changed nothing.
        let precheck = view([
            .hostStarted, .verifyStarted(name: "precheck"), .assertion(verification: "precheck", description: "d", holds: false, expected: "e", found: "f"),
        ])
        #expect(label(precheck) == "cleaning up")
    }

    @Test func aStepThatWillBeRetriedWaits() {
        let retrying = view([
            .hostStarted, .stepStarted(step: "fetch", attempt: 1),
            .stepFinished(step: "fetch", ok: false, exitStatus: 1, duration: 1, message: "exited 1 (retrying in 2s, attempt 2 of 3)"),
        ])
        #expect(label(retrying) == "waiting to retry fetch")
    }

    @Test func theLastOutputLineOfARunningStepIsShownCutToTheWidth() {
        var running = view([
            .hostStarted, .stepStarted(step: "build", attempt: 1), .output(step: "build", stream: "stdout", text: "\u{1B}[1mcompiling\u{1B}[0m 10%\r20%"),
        ])
        #expect(lines(running).first?.hasSuffix("running build  0.0s  › 20%") == true, "\(lines(running))")
        for line in lines(running, width: 24) { #expect(TerminalText.columns(line) <= 24, "\(line)") }
        running.handle(RunEvent(host: "web1", .stepFinished(step: "build", ok: true, exitStatus: 0, duration: 1, message: nil)))
        #expect(lines(running).first?.contains("›") == false)
    }

    @Test func finishedHostsLeaveTheBlockAndAreCounted() {
        let finished = view([.hostStarted, .hostFinished(result: .unreachable, message: "cannot connect", left: [], duration: 0)])
        #expect(lines(finished).count == 1)
        #expect(lines(finished).last?.hasPrefix("  1/2 hosts done") == true)
    }
}
