import Execution
import Foundation
import Inventory
import Planning
import RunEvents
import TestSupport
import Testing
import Transport
import Wire

/// Dependent plain commands go to a host as one exec, and are reported step by step as if each had
/// been sent alone.
@Suite struct CommandChainTests {
    /// Plans a body on the printer and returns the host's chains as lists of step names.
    func chains(_ body: String) async throws -> [[String]] {
        let printer = PrinterTransport(host: "local")
        nonisolated(unsafe) var captured: RunPlan?
        _ = try await apply(body, transports: { _ in printer }, planned: { captured = $0 })
        return try #require(captured?.hosts.first).chains.map(\.steps)
    }

    @Test func onlyPlainCommandsThatFollowOneAnotherAloneAreChained() async throws {
        let line = "step :a do\n  run \"echo a\"\nend\nstep :b, after: :a do\n  run \"echo b\"\nend\nstep :c, after: :b do\n  run \"echo c\"\nend\n"
        #expect(try await chains(line) == [["a", "b", "c"]])
        // Two commands of one step are a chain of their own.
        #expect(try await chains("step :a do\n  run \"echo 1\"\n  run \"echo 2\"\nend") == [["a"]])
        // A second step after `a` breaks the chain there: `a` ends, `b` and `d` may run side by side.
        #expect(try await chains(line + "step :d, after: :a do\n  run \"echo d\"\nend") == [["b", "c"]])
        // A verification after `b` needs `b` done before `c`: the chain ends at `b`.
        #expect(try await chains(line + "verify after: :b do\n  file \"/\"\nend") == [["a", "b"]])
        // Steps with an undo, a guard, a timeout or retries are sent on their own.
        let kinds = [
            "  run \"echo b\", undo: \"echo u\"", "  run \"echo b\", creates: \"/x\"",
        ]
        for kind in kinds {
            let body = "step :a do\n  run \"echo a\"\nend\nstep :b, after: :a do\n\(kind)\nend\nstep :c, after: :b do\n  run \"echo c\"\nend\n"
            #expect(try await chains(body) == [], "\(kind)")
        }
        let timed =
            "step :a do\n  run \"echo a\"\nend\nstep :b, after: :a, timeout: \"5s\" do\n  run \"echo b\"\nend\nstep :c, after: :b do\n  run \"echo c\"\nend\n"
        #expect(try await chains(timed) == [])
        // A step declared between two that follow one another does not break their chain.
        let between = "step :a do\n  run \"echo a\"\nend\nstep :x do\n  run \"echo x\"\nend\nstep :b, after: :a do\n  run \"echo b\"\nend\n"
        #expect(try await chains(between) == [["a", "b"]])
        // A chain stays far below Linux's 128 KiB for one argument: two 30 KB commands are sent apart.
        let big = String(repeating: "x", count: 30_000)
        let large = "step :a do\n  run \"echo \(big)\"\nend\nstep :b, after: :a do\n  run \"echo \(big)\"\nend\n"
        #expect(try await chains(large) == [])
        let retried =
            "step :a do\n  run \"echo a\"\nend\nstep :b, after: :a, retries: 1 do\n  run \"echo b\"\nend\nstep :c, after: :b do\n  run \"echo c\"\nend\n"
        #expect(try await chains(retried) == [])
    }

    /// On a real host: a failed link ends the exec (nothing after it runs), its step fails with its own
    /// output, the steps before it passed and their output is theirs.
    @Test func aFailedLinkStopsTheChainAndIsReportedAsItsOwnStep() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain")
        let body = """
            param :dir, type: :path
            step :a do
              run "echo out-a; echo err-a >&2; printf 'no newline'"
            end
            step :b, after: :a do
              run "echo out-b; echo 'b went wrong' >&2; exit 7"
            end
            step :c, after: :b do
              run "touch #{dir}/c"
            end
            """
        let (summary, events) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/c"))
        var outputs: [String: [String]] = [:]
        var finished: [String: (Bool, Int32?, String?)] = [:]
        var started: [String] = []
        for event in events.all {
            switch event.kind {
            case .output(let step, let stream, let text): outputs[step, default: []].append("\(stream):\(text)")
            case .stepFinished(let step, let ok, let status, _, let message): finished[step] = (ok, status, message)
            case .stepStarted(let step, _): started.append(step)
            default: break
            }
        }
        #expect(started == ["a", "b"])
        #expect(outputs["a"]?.sorted() == ["stderr:err-a", "stdout:no newline", "stdout:out-a"])
        #expect(outputs["b"]?.sorted() == ["stderr:b went wrong", "stdout:out-b"])
        #expect(finished["a"]?.0 == true)
        #expect(finished["b"]?.0 == false)
        #expect(finished["b"]?.1 == 7)
        #expect(finished["b"]?.2?.contains("exited 7: b went wrong") == true)
        #expect(finished["c"] == nil)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) == [])
    }

    /// A secret a link reads reaches it from standard input, and its value never shows in the plan.
    @Test func aChainExportsTheSecretsOfItsLinks() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-secret")
        let body = """
            param :dir, type: :path
            param :token, secret: true
            step :a do
              run "printf %s #{token} > #{dir}/a"
            end
            step :b, after: :a do
              run "cat #{dir}/a > #{dir}/b"
            end
            """
        nonisolated(unsafe) var captured: RunPlan?
        let (summary, _) = try await apply(
            body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]], set: ["token": "s3cr3t-value"], planned: { captured = $0 })
        #expect(summary.exitStatus == 0)
        #expect((try? String(contentsOfFile: "\(dir)/b", encoding: .utf8)) == "s3cr3t-value")
        let plan = try #require(captured?.hosts.first)
        #expect(plan.chains.count == 1)
        let shown = plan.exchanges.compactMap(\.command?.shown.stdin).joined()
        #expect(!shown.contains("s3cr3t-value"))
    }

    /// On a real host: each link runs in a subshell of its own, as isolated as it would be alone:
    /// its directory, variables and options stay its own, it cannot read the exec's value (to forge a
    /// marker), a link that names `$$` gets a process (and pid) of its own, and a syntax error fails
    /// only its own step.
    @Test func eachLinkIsIsolatedAsItWouldBeAlone() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-isolated")
        let body = """
            param :dir, type: :path, default: "/tmp"
            step :a do
              run "cd /; X=leak; set -e; printf '%s' \\"$n$s\\" > #{dir}/nonce"
            end
            step :b, after: :a do
              run "printf '%s|%s' \\"$(pwd)\\" \\"$X\\" > #{dir}/b; false || true"
            end
            step :c, after: :b do
              run "echo $$ > #{dir}/c"
            end
            step :d, after: :c do
              run "echo $$ > #{dir}/d"
            end
            step :e, after: :d do
              run "if then fi"
            end
            step :f, after: :e do
              run "touch #{dir}/f"
            end
            """
        #expect(try await chains(body) == [["a", "b", "c", "d", "e", "f"]])
        let (summary, events) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 1)
        #expect(try String(contentsOfFile: "\(dir)/nonce", encoding: .utf8) == "")
        let b = try String(contentsOfFile: "\(dir)/b", encoding: .utf8)
        #expect(!b.hasPrefix("/|") && b.hasSuffix("|"), "\(b)")
        let c = try String(contentsOfFile: "\(dir)/c", encoding: .utf8)
        let d = try String(contentsOfFile: "\(dir)/d", encoding: .utf8)
        #expect(!c.isEmpty && c != d)
        let finished = events.all.compactMap { event -> String? in
            if case .stepFinished(let step, let passed, _, _, _) = event.kind { return "\(step) \(passed)" }
            return nil
        }
        #expect(finished == ["a true", "b true", "c true", "d true", "e false"])
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/f"))
    }

    /// A link's output shares the markers' stream: markers it prints itself never pass a step the host
    /// failed (nor leave the host's lock behind), and a partial one left without a newline does not
    /// hide the real marker after it.
    @Test func markersALinkPrintsItselfDoNotPassAFailedChain() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-forged")
        // A failing link that prints its own and the next link's success.
        let forged = """
            param :dir, type: :path
            step :a do
              run "printf '\\\\036runbook-link 0 0\\\\n\\\\036runbook-link 1 0\\\\n\\\\036runbook-link x 0 0\\\\n'; echo a-failed >&2; exit 5"
            end
            step :b, after: :a do
              run "touch #{dir}/b"
            end
            """
        let (summary, events) = try await apply(forged, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/b"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) == [])
        // The markers it printed lack the exec's value (read on the host, never exported): step a
        // itself is the one that failed, with its own status; b never started.
        #expect(events.failedSteps == ["a 5"])
        #expect(!events.all.contains { if case .stepStarted("b", _) = $0.kind { true } else { false } })
        // A link that ends its output with a partial marker and no newline passes, with that output.
        let partial = """
            param :dir, type: :path
            step :a do
              run "printf 'no newline \\\\036runbook-link 9'"
            end
            step :b, after: :a do
              run "touch #{dir}/b"
            end
            """
        let (passed, lines) = try await apply(partial, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(passed.exitStatus == 0)
        #expect(lines.outputs == ["a:stdout:no newline \\x1erunbook-link 9"])
    }
}

/// A fenced factory's transports send nothing once the fence gives a reason (a worker's lost claim).
@Suite struct FencedTransportTests {
    @Test func nothingIsSentPastTheFence() async throws {
        let printer = PrinterTransport(host: "h1")
        nonisolated(unsafe) var open = true
        var factory = TransportFactory(acceptNewHostKeys: false, home: "/nonexistent")
        factory.override = { _ in printer }
        factory.fence = { open ? nil : "the claim was lost" }
        let transport = factory.transport(host: "h1", connection: HostConnection.local(user: "me"))
        _ = try await transport.exec(WireMessage(request: "exec sh -s", stdin: "{ true; }\n", limit: 5), output: nil)
        open = false
        await #expect(throws: TransportError.self) {
            _ = try await transport.exec(WireMessage(request: "exec sh -s", stdin: "{ true; }\n", limit: 5), output: nil)
        }
        #expect(printer.messages.count == 1)
    }
}
