import Checks
import Foundation
import Planning
import RunEvents
import TestSupport
import Testing
import Transport
import Wire

@testable import Execution

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized, .timeLimit(.minutes(2))) struct ExecutionOverSSHTests {
    @Test func diamondRunsInOrderWithBAndCAtTheSameTime() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        func stamp(_ name: String) -> String { "echo \(name)-start $(date +%s%N) >> \(dir)/log; sleep 0.6; echo \(name)-end $(date +%s%N) >> \(dir)/log" }
        let (summary, _) = try await apply(
            """
            step :a do
              run "\(stamp("a"))"
            end
            step :b, after: :a do
              run "\(stamp("b"))"
            end
            step :c, after: :a do
              run "\(stamp("c"))"
            end
            step :d, after: [:b, :c] do
              run "\(stamp("d"))"
            end
            """, on: [server])
        #expect(summary.exitStatus == 0)
        let times = Dictionary(
            uniqueKeysWithValues: try String(contentsOfFile: dir + "/log", encoding: .utf8).split(separator: "\n").map { line in
                let parts = line.split(separator: " ")
                return (String(parts[0]), Int(parts[1]) ?? 0)
            })
        let (aEnd, bStart, bEnd, cStart, cEnd, dStart) = (
            times["a-end"] ?? 0, times["b-start"] ?? 0, times["b-end"] ?? 0, times["c-start"] ?? 0, times["c-end"] ?? 0, times["d-start"] ?? 0
        )
        #expect(aEnd <= bStart && aEnd <= cStart)
        #expect(bStart < cEnd && cStart < bEnd, "b and c did not overlap")
        #expect(dStart >= bEnd && dStart >= cEnd)
    }

    @Test func aFailingStepRollsBackTheStepsBeforeItInReverseOrder() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        let (summary, log) = try await apply(
            """
            step :a do
              run "echo a >> \(dir)/log", undo: "echo undo-a >> \(dir)/log"
            end
            step :b, after: :a do
              run "echo b >> \(dir)/log", undo: "echo undo-b >> \(dir)/log"
            end
            step :c, after: :b do
              run "echo c >> \(dir)/log", undo: "echo undo-c >> \(dir)/log"
            end
            step :d, after: :c do
              run "echo boom >&2; exit 7", undo: "echo undo-d >> \(dir)/log"
            end
            step :e, after: :d do
              run "echo e >> \(dir)/log"
            end
            """, on: [server])
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["h0"]?.result == .rolledBack)
        #expect(summary.outcomes["h0"]?.message?.contains("exited 7: boom") == true)
        #expect(try String(contentsOfFile: dir + "/log", encoding: .utf8) == "a\nb\nc\nundo-c\nundo-b\nundo-a\n")
        #expect(log.undos() == ["c", "b", "a"])
    }

    @Test func aFailingAssertionPutsTheSymlinkAndTheCacheBack() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        try shell(
            "mkdir -p \(dir)/releases/old \(dir)/.next/cache && echo old > \(dir)/.next/cache/page && ln -s \(dir)/releases/old \(dir)/current && chmod -R 777 \(dir)"
        )
        let body = { (check: String) in
            """
            step :clean do
              clean_cache "\(dir)/.next"
            end
            step :build, after: :clean do
              run "mkdir -p \(dir)/.next/cache \(dir)/releases/new && echo new > \(dir)/.next/cache/page"
            end
            step :switch, after: :build do
              symlink "\(dir)/current", to: "\(dir)/releases/new"
            end
            verify after: :switch, within: "1s" do
              file "\(dir)/\(check)", exists: true
            end
            """
        }
        let (failed, _) = try await apply(body("health-that-is-missing"), on: [server], vars: [[KeptBackups.countVariable: "0"]])
        #expect(failed.exitStatus == 1)
        #expect(failed.outcomes["h0"]?.result == .rolledBack)
        #expect(try shell("readlink \(dir)/current").trimmingCharacters(in: .whitespacesAndNewlines) == "\(dir)/releases/old")
        #expect(try shell("cat \(dir)/.next/cache/page") == "old\n")
        #expect(try shell("ls -A \(dir)").split(separator: "\n").sorted() == [".next", "current", "releases"])

        // The same run passing: the moved-aside cache is removed only after verification passed
        // (with runbook_keep_backups 0; KeptBackupsTests keeps them).
        let (passed, _) = try await apply(body("releases/new"), on: [server], vars: [[KeptBackups.countVariable: "0"]])
        #expect(passed.exitStatus == 0)
        #expect(try shell("readlink \(dir)/current").trimmingCharacters(in: .whitespacesAndNewlines) == "\(dir)/releases/new")
        #expect(try shell("cat \(dir)/.next/cache/page") == "new\n")
        #expect(try shell("ls -A \(dir)").split(separator: "\n").sorted() == [".next", "current", "releases"])
    }

    @Test func anUndoThatFailsGivesExitThreeAndSaysWhatIsLeft() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        let (summary, log) = try await apply(
            """
            step :a do
              run "echo a >> \(dir)/log", undo: "echo undo-a >> \(dir)/log"
            end
            step :b, after: :a do
              run "touch \(dir)/flag", undo: "echo cannot >&2; exit 9"
            end
            step :c, after: :b do
              run "exit 1"
            end
            """, on: [server])
        #expect(summary.exitStatus == 3)
        let outcome = summary.outcomes["h0"]
        #expect(outcome?.result == .rollbackFailed)
        #expect(outcome?.left.count == 1)
        #expect(outcome?.left.first?.contains("b: undo of touch \(dir)/flag failed") == true)
        #expect(outcome?.left.first?.contains("run by hand: echo cannot >&2; exit 9") == true)
        // The other undos still ran.
        #expect(try String(contentsOfFile: dir + "/log", encoding: .utf8) == "a\nundo-a\n")
        #expect(log.undos() == ["b", "a"])
    }

    @Test func aStepTimeoutStopsTheCommandAndFailsTheHost() async throws {
        let server = try TestSSHServer()
        let start = Date()
        let (summary, _) = try await apply(
            """
            step :slow, timeout: "1s" do
              run "sleep 30"
            end
            """, on: [server])
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["h0"]?.message?.contains("timed out") == true)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func parameterValuesReachTheCommandUnchangedAndRunNothingElse() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        let value = #"a; touch \#(dir)/PWNED $(touch \#(dir)/PWNED2) `touch \#(dir)/PWNED3` 'single' "double" two  spaces \ back"#
        let (summary, _) = try await apply(
            """
            param :value, default: "x"
            step :write do
              run "printf '%s' \\#{value} > \(dir)/out"
            end
            """.replacingOccurrences(of: "\\#{", with: "#{"), on: [server], set: ["value": value])
        #expect(summary.exitStatus == 0, "\(summary.outcomes)")
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == value)
        #expect(!FileManager.default.fileExists(atPath: dir + "/PWNED"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/PWNED2"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/PWNED3"))
    }
}

extension ExecutionOverSSHTests {
    @Test func uploadIsAtomicWithItsModeAndItsUndoRestoresThePreviousFileOrRemovesTheNewOne() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        let local = try workFolder("local")
        try "new config\n".write(toFile: "\(local)/app.conf", atomically: true, encoding: .utf8)
        try "old config\n".write(toFile: "\(dir)/app.conf", atomically: true, encoding: .utf8)
        let body = { (check: String) in
            """
            step :upload do
              upload "\(local)/app.conf", to: "\(dir)/app.conf", mode: "0640"
              upload "\(local)/app.conf", to: "\(dir)/fresh.conf"
              symlink "\(dir)/current", to: "\(dir)/app.conf"
            end
            verify after: :upload, within: "1s" do
              file "\(dir)/\(check)", exists: true
            end
            """
        }
        let (passed, _) = try await apply(body("app.conf"), on: [server], vars: [[KeptBackups.countVariable: "0"]])
        #expect(passed.exitStatus == 0)
        #expect(try shell("cat \(dir)/app.conf; stat -c %a \(dir)/app.conf") == "new config\n640\n")
        #expect(try shell("ls -A \(dir)").split(separator: "\n").sorted() == ["app.conf", "current", "fresh.conf"])

        try "old config\n".write(toFile: "\(dir)/app.conf", atomically: true, encoding: .utf8)
        try shell("rm -f \(dir)/fresh.conf \(dir)/current")
        let (failed, log) = try await apply(body("missing"), on: [server], vars: [[KeptBackups.countVariable: "0"]])
        #expect(failed.exitStatus == 1)
        #expect(log.undos() == ["upload", "upload", "upload"])
        #expect(try String(contentsOfFile: "\(dir)/app.conf", encoding: .utf8) == "old config\n")
        #expect(try shell("ls -A \(dir)").split(separator: "\n") == ["app.conf"])
    }
}

@Suite(.serialized, .timeLimit(.minutes(2))) struct ExecutionLocalTests {
    @Test func waitForPortAndHTTPWaitUntilTheServerAnswers() async throws {
        let port = freePort()
        let dir = try workFolder()
        try "up\n".write(toFile: "\(dir)/health", atomically: true, encoding: .utf8)
        let start = Date()
        async let run = apply(
            """
            step :wait do
              wait_for port: \(port), timeout: "10s"
              wait_for http: "http://127.0.0.1:\(port)/health", status: 200, timeout: "10s"
            end
            """)
        try await Task.sleep(for: .seconds(1))
        let web = try BackgroundProcess(["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir])
        defer { web.stop() }
        let (summary, _) = try await run
        #expect(summary.exitStatus == 0, "\(summary.outcomes)")
        #expect(Date().timeIntervalSince(start) >= 1)
        let (timedOut, _) = try await apply(
            """
            step :wait do
              wait_for port: \(freePort()), timeout: "500ms"
            end
            """)
        #expect(timedOut.outcomes["local"]?.message?.contains("did not listen within 500ms") == true)
    }

    @Test func aFailureStopsNewStepsAndLetsRunningOnesFinishThenUndoesThem() async throws {
        let dir = try workFolder()
        let (summary, log) = try await apply(
            """
            step :fails do
              run "sleep 0.2; exit 1"
            end
            step :slow do
              run "sleep 1; touch \(dir)/slow", undo: "rm \(dir)/slow; touch \(dir)/slow-undone"
            end
            step :later, after: :fails do
              run "touch \(dir)/later"
            end
            step :after_slow, after: :slow do
              run "touch \(dir)/after-slow"
            end
            """)
        #expect(summary.exitStatus == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["slow-undone"])
        #expect(log.undos() == ["slow"])
    }

    @Test func noRollbackLeavesTheFailedHostAsItIs() async throws {
        let dir = try workFolder()
        let (summary, log) = try await apply(
            """
            step :a do
              run "touch \(dir)/a", undo: "rm \(dir)/a"
            end
            step :b, after: :a do
              run "exit 1"
            end
            rollback do
              run "touch \(dir)/rollback-block"
            end
            """, rollback: false)
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["local"]?.result == .failed)
        #expect(log.undos().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a"])
    }

    @Test func httpFromTheControllerAndFromTheHost() async throws {
        let port = freePort()
        let dir = try workFolder()
        try "ok\n".write(toFile: "\(dir)/health", atomically: true, encoding: .utf8)
        let web = try BackgroundProcess(["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir])
        defer { web.stop() }
        waitUntilListening(port)
        let (summary, log) = try await apply(
            """
            step :noop do
              run "true"
            end
            verify within: "2s" do
              http "http://127.0.0.1:\(port)/health", status: 200, contains: "ok", from: :controller
              http "http://127.0.0.1:\(port)/health", status: "200-299", from: :host
              http "http://127.0.0.1:\(port)/missing", status: [404, 410], from: :controller
            end
            """)
        #expect(summary.exitStatus == 0, "\(log.jsonLines.filter { $0.contains("assertion") })")
    }

    @Test func freePortNeverSignalsTheProcessTreeRunningIt() async throws {
        // The listener belongs to this test process, which runs the free_port script: it must be spared.
        let listener = try TestListener(ipv6: false, address: "127.0.0.1")
        let (summary, log) = try await apply(
            """
            step :free do
              free_port \(listener.port), grace: "200ms"
            end
            """)
        #expect(summary.exitStatus == 1)
        let output = log.all.compactMap { event -> String? in
            if case .output(_, _, let text) = event.kind { return text }
            return nil
        }
        #expect(output.contains("not signalling pid \(getpid()): it is init or part of this session"), "\(output)")
        #expect(summary.outcomes["local"]?.message?.contains("held by a process this user cannot see or signal") == true)
    }

    @Test func aLockFolderThatCannotBeWrittenIsAnErrorNotAHolder() async throws {
        let dir = try workFolder()
        try shell("touch \(dir)/file")
        func take(_ lock: LockPlan) async throws -> ExecResult {
            try await LocalTransport().run(HostCommand(lock.acquire, limit: 30), secrets: [:])
        }
        let bad = try await take(LockPlan(folder: "\(dir)/file/locks", name: "deploy", runID: "RUN1", controller: "c1"))
        #expect(bad.exitStatus == 4)
        #expect(bad.stderr.contains("cannot create \(dir)/file/locks/deploy.lock"))
        let good = LockPlan(folder: "\(dir)/locks", name: "deploy", runID: "RUN2", controller: "c1")
        #expect(try await take(good).exitStatus == 0)
        let held = try await take(LockPlan(folder: "\(dir)/locks", name: "deploy", runID: "RUN3", controller: "c2"))
        #expect(held.exitStatus == 3)
        #expect(HostLock.describeHolder(held.stdout).hasPrefix("run RUN2 from c1"))
        // The host lock excludes every named lock, and a named lock excludes the host lock.
        let whole = try await take(LockPlan(folder: "\(dir)/locks", name: nil, runID: "RUN4", controller: "c2"))
        #expect(whole.exitStatus == 3)
        #expect(HostLock.describeHolder(whole.stdout).contains("(lock deploy.lock)"))
        // The run that holds the lock may take it again (a rollback after its controller died).
        #expect(try await take(good).exitStatus == 0)
        _ = try await LocalTransport().run(HostCommand(good.release, limit: 30), secrets: [:])
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) ?? ["?"]).isEmpty)
    }

    @Test func sudoAskingForAPasswordIsExplained() {
        let result = ExecResult(exitStatus: 1, signal: nil, stdout: "", stderr: "sudo: a password is required\n", timedOut: false, duration: 0.1)
        let message = OperationRunner.describe(
            result, command: HostCommand(ShellCommand("systemctl restart app"), sudo: true), redactor: Redactor(secrets: []))
        #expect(message.contains("sudo wants a password; runbook runs `sudo -n` and never types one"))
        #expect(message.contains("NOPASSWD"))
    }

    @Test func aFailureMessageKeepsOnlyTheEndOfAHugeLastLine() {
        let huge = String(repeating: "a", count: 1_000_000) + "END"
        let result = ExecResult(exitStatus: 1, signal: nil, stdout: huge, stderr: "", timedOut: false, duration: 0.1)
        let message = OperationRunner.describe(result, command: HostCommand(ShellCommand("x")), redactor: Redactor(secrets: []))
        #expect(message.count < OperationRunner.tailLimit + 40)
        #expect(message.hasSuffix("aEND"))
    }

    @Test func guardsSkipActionsAndSayWhy() async throws {
        let dir = try workFolder()
        try shell("touch \(dir)/exists")
        let (summary, log) = try await apply(
            """
            step :created do
              run "echo ran >> \(dir)/created", creates: "\(dir)/exists"
            end
            step :unless_true do
              run "echo ran >> \(dir)/unless", unless: "true"
            end
            step :only_if_false do
              run "echo ran >> \(dir)/onlyif", only_if: "false"
            end
            step :only_if_true do
              run "echo ran >> \(dir)/runs", only_if: "test -e \(dir)/exists"
            end
            """)
        #expect(summary.exitStatus == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["exists", "runs"])
        let skipped = log.all.compactMap { event -> String? in
            if case .stepSkipped(let step, let reason) = event.kind { return "\(step): \(reason)" }
            return nil
        }.sorted()
        #expect(skipped.count == 3)
        #expect(skipped[0].hasPrefix("created: skipped:") && skipped[0].contains("(creates:)"))
        #expect(skipped[1].contains("(only_if:)"))
        #expect(skipped[2].contains("(unless:)"))
    }

    @Test func retriesRunTheStepAgainAfterTheDelay() async throws {
        let dir = try workFolder()
        let (summary, log) = try await apply(
            """
            step :flaky, retries: 2, retry_delay: "200ms" do
              run "echo try >> \(dir)/tries; test $(wc -l < \(dir)/tries) -ge 2"
            end
            """)
        #expect(summary.exitStatus == 0)
        #expect(try String(contentsOfFile: dir + "/tries", encoding: .utf8) == "try\ntry\n")
        let attempts = log.all.compactMap { event -> Int? in
            if case .stepStarted(_, let attempt) = event.kind { return attempt }
            return nil
        }
        #expect(attempts == [1, 2])
    }

    @Test func secretsNeverAppearInTheJSONEvents() async throws {
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        let (summary, log) = try await apply(
            """
            param :token, default: "x", secret: true
            step :use do
              run "echo the token is \\#{token}; echo \\#{token} >&2", undo: "echo undo \\#{token}"
            end
            step :fail, after: :use do
              run "echo failing with \\#{token} >&2; exit 4"
            end
            verify do
              command "echo \\#{token}", exit: 0, contains: "nothing"
            end
            """.replacingOccurrences(of: "\\#{", with: "#{"), set: ["token": secret])
        #expect(summary.exitStatus == 1)
        let lines = log.jsonLines
        #expect(lines.count > 5)
        #expect(!lines.contains { $0.contains(secret) })
        #expect(lines.contains { $0.contains("the token is ••••") })
        #expect(summary.outcomes["local"]?.message?.contains(secret) == false)
    }
}

/// A listening socket the test opens (and closes when it goes away).
final class TestListener {
    let fd: Int32
    let port: Int

    init(ipv6: Bool, address: String) throws {
        port = freePort()
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if ipv6 {
            // IPv6 only: the incident's server, which IPv4 clients cannot reach.
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, address, &sa.sin6_addr)
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, address, &sa.sin_addr)
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0, listen(fd, 8) == 0 else { throw TestSetupError(message: "cannot listen on \(address):\(port)") }
    }

    deinit { close(fd) }
}

// About 25 checks, each a local command: a loaded machine running the suite takes more than a minute.
@Suite(.timeLimit(.minutes(3))) struct ListeningTests {
    @Test func listeningTellsTheFourAddressesApart() async throws {
        let any4 = try TestListener(ipv6: false, address: "0.0.0.0")
        let loop4 = try TestListener(ipv6: false, address: "127.0.0.1")
        let any6 = try TestListener(ipv6: true, address: "::")
        let loop6 = try TestListener(ipv6: true, address: "::1")
        let evaluator = CheckEvaluator(transport: LocalTransport(), adapter: nil)
        func check(_ port: Int, _ address: String?, family: String? = nil) async -> CheckResult {
            await evaluator.evaluate(.listening(port: port, address: address, family: family, process: nil))
        }
        let cases: [(TestListener, String)] = [(any4, "0.0.0.0"), (loop4, "127.0.0.1"), (any6, "::"), (loop6, "::1")]
        for (listener, bound) in cases {
            for other in ["0.0.0.0", "127.0.0.1", "::", "::1", "[::]"] {
                let result = await check(listener.port, other)
                let same = SocketTable.normalize(other) == bound
                #expect(result.holds == same, "port bound to \(bound), asked \(other): \(result.found)")
            }
        }
        // The incident's message: an IPv6-only server when IPv4 was expected, with the owning process.
        let incident = await check(any6.port, "0.0.0.0")
        #expect(incident.found.hasPrefix("found only [::]:\(any6.port) owned by "))
        #expect(incident.found.contains("pid \(getpid())"))
        #expect(await check(any6.port, nil, family: "ipv6").holds)
        #expect(await check(any6.port, nil, family: "ipv4").holds == false)
        #expect(await check(freePort(), nil).found.contains("nothing listens"))
        #expect(
            await evaluator.evaluate(.notListening(port: loop6.port)).found
                == "[::1]:\(loop6.port) owned by \(ProcessInfo.processInfo.processName.prefix(15)) pid \(getpid())")
    }
}

/// A connection that drops mid-step: the host is connected again once, and the undos run on it.
@Suite struct DroppedConnectionTests {
    @Test func theUndosRunOnANewConnectionAfterTheOldOneDropped() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        async let run = apply(
            """
            step :a do
              run "touch \(dir)/a", undo: "rm -f \(dir)/a"
            end
            step :b, after: :a do
              run "sleep 30"
            end
            """, on: [server])
        // Once the second step runs, sshd's processes serving the connection die (the network went away).
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: "\(dir)/a") { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(500))
        for pid in server.descendants(of: server.pid) {
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            if command.hasPrefix("sshd:") { kill(pid, SIGKILL) }
        }
        let (summary, log) = try await run
        #expect(summary.outcomes["h0"]?.result == .rolledBack, "\(summary.outcomes["h0"]?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/a"))
        #expect(!log.all.contains { if case .note(let text) = $0.kind { text.contains("could not be opened again") } else { false } })
    }
}

/// A host whose sshd stops answering mid-step (SIGSTOP) fails within the keepalive's bound, as
/// ServerAliveInterval × ServerAliveCountMax say, instead of hanging the run.
@Suite struct SilentHostTests {
    @Test func aFrozenHostFailsWithinItsKeepalive() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder()
        let start = Date()
        async let run = apply(
            """
            step :a do
              run "touch \(dir)/started; sleep 30"
            end
            """, on: [server], vars: [["ansible_ssh_common_args": "-o ServerAliveInterval=1 -o ServerAliveCountMax=2 -o ConnectTimeout=2"]])
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: "\(dir)/started") { try await Task.sleep(for: .milliseconds(50)) }
        server.freeze()
        defer { server.thaw() }
        let (summary, _) = try await run
        let took = Date().timeIntervalSince(start)
        #expect(summary.outcomes["h0"]?.result != .ok)
        // The configured keepalive (1 s x 2) is what ended the wait, as the message says; about 3 s to
        // notice and 2 s for the one attempt to connect again (8 s on an idle machine), with room for
        // a machine running the whole suite at once.
        #expect(summary.outcomes["h0"]?.message?.contains("ServerAliveInterval 1s × 2") == true, "\(summary.outcomes["h0"]?.message ?? "")")
        #expect(took < 90, "a silent host held the run \(took) s")
    }
}
