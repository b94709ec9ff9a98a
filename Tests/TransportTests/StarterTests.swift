import Foundation
import TestSupport
import Testing
import Wire

@testable import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The starter's guarantees, run by the host's own sh: a cut payload runs nothing, and a closed
/// standard input kills everything the body started, whether the starter leads its process group
/// (as under sshd) or not (then it makes one with setsid).
@Suite(.serialized) struct StarterTests {
    /// Starts `exec sh -s` as a group leader (a session of its own, as sshd does) or inside a shell
    /// that stays its parent (not a leader); returns the pid and the write end of its standard input.
    func start(leader: Bool) throws -> (pid: pid_t, input: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw TestSetupError(message: "pipe failed") }
        let null = open("/dev/null", O_WRONLY)
        defer { close(null) }
        let argv = leader ? ["/bin/sh", "-c", Starter.request(sudo: false)] : ["/bin/sh", "-c", "sh -c '\(Starter.request(sudo: false))'; s=$?; exit $s"]
        guard let pid = ChildProcess.spawn(argv, stdin: ends[0], stdout: null, stderr: null) else {
            throw TestSetupError(message: "cannot start sh")
        }
        close(ends[0])
        return (pid, ends[1])
    }

    func send(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    func running(_ marker: String) throws -> Int {
        try runProcess(["/usr/bin/ps", "-eo", "args"]).stdout.split(separator: "\n").filter { $0.hasPrefix(marker) }.count
    }

    @Test(arguments: [true, false], [nil, 60.0])
    func closingStandardInputKillsTheBodyAndWhatItStarted(leader: Bool, limit: Double?) async throws {
        let seconds = 400 + Int.random(in: 0..<99_999)
        let marker = "sleep \(seconds).5"
        let body = "\(marker) & \(marker) & wait"
        let (pid, input) = try start(leader: leader)
        send(Starter.payload(HostCommand(ShellCommand(body), limit: limit), exports: []), to: input)
        var started = 0
        for _ in 0..<50 where started < 2 {
            try await Task.sleep(for: .milliseconds(100))
            started = try running(marker)
        }
        #expect(started == 2)
        close(input)
        var left = started
        for _ in 0..<50 where left > 0 {
            try await Task.sleep(for: .milliseconds(100))
            left = try running(marker)
        }
        #expect(left == 0, "the body's processes outlived the controller's end of standard input")
        _ = ChildProcess.wait(pid)
    }

    @Test(arguments: [true, false])
    func aPayloadCutAnywhereRunsNothing(leader: Bool) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("starter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let marker = directory + "/ran"
        let command = HostCommand(ShellCommand("touch " + ShellQuote.quote(marker)), limit: 30)
        let payload = Starter.payload(command, exports: [("RUNBOOK_SECRET_A", "'x'")])
        let bytes = Array(payload.utf8)
        // Every cut at a line end before the group's closing brace (past it the whole script has
        // arrived), and a few inside lines.
        let brace = try #require(payload.range(of: "\n} ", options: .backwards))
        let closing = payload.utf8.distance(from: payload.startIndex, to: brace.lowerBound) + 1
        var cuts = bytes.indices.filter { $0 < closing && bytes[$0] == UInt8(ascii: "\n") }.map { $0 + 1 }
        cuts += [1, closing / 2, closing - 1]
        for cut in cuts {
            let (pid, input) = try start(leader: leader)
            _ = bytes.withUnsafeBytes { write(input, $0.baseAddress, cut) }
            close(input)
            let (status, _) = ChildProcess.wait(pid)
            #expect(status != 0, "cut at \(cut) of \(bytes.count)")
            #expect(!FileManager.default.fileExists(atPath: marker), "a payload cut at byte \(cut) of \(bytes.count) ran its body")
        }
        // The whole payload does run it (standard input still open, as the controller keeps it).
        let (pid, input) = try start(leader: leader)
        send(payload, to: input)
        let (status, _) = ChildProcess.wait(pid)
        close(input)
        #expect(status == 0)
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test func aConnectionClosedMidCommandKillsItOnTheHost() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        let marker = "sleep \(400 + Int.random(in: 0..<99_999)).5"
        // No limit on the host: only the closed channel can stop it (the controller gives up after 0.5 + 5 s).
        var message = try HostCommand(ShellCommand("\(marker) & \(marker)")).message(secrets: [:])
        message.limit = 0.5
        let result = try await transport.exec(message, output: nil)
        #expect(result.timedOut)
        var left = 2
        for _ in 0..<30 where left > 0 {
            try await Task.sleep(for: .milliseconds(100))
            left = try running(marker)
        }
        #expect(left == 0)
        await transport.close()
    }
}
