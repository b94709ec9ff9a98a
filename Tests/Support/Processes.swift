import Foundation
import Transport
import Wire

#if canImport(Glibc)
    import Glibc
#endif

// Foundation.Process is not used in tests: on Linux it reaps a child with a blocking waitpid on its
// one monitoring thread as soon as the child closes the descriptors it inherited, which sshd does at
// start-up, so every later Process in the same test run waited until that sshd died.

/// What a finished process printed and how it ended.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `argv` to completion with posix_spawn and reads both of its streams without deadlocking.
public func runProcess(
    _ argv: [String], environment: [String: String] = [:], unset: [String] = [], directory: String? = nil, input: String? = nil,
    closeInput: Bool = false
) throws -> ProcessOutput {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    for name in unset { env.removeValue(forKey: name) }
    let command = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + argv } ?? argv
    var out: [Int32] = [0, 0]
    var err: [Int32] = [0, 0]
    guard pipe(&out) == 0, pipe(&err) == 0 else { throw TestSetupError(message: "pipe failed") }
    // `input` is written to a pipe that stays open until the process ended (as a channel's input does).
    var inPipe: [Int32] = [-1, -1]
    if input != nil, pipe(&inPipe) != 0 { throw TestSetupError(message: "pipe failed") }
    let null = input == nil ? open("/dev/null", O_RDONLY) : inPipe[0]
    let pid = ChildProcess.spawn(command, stdin: null, stdout: out[1], stderr: err[1], environment: env)
    close(null)
    if let input {
        let bytes = Array(input.utf8)
        _ = bytes.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
        if closeInput {
            close(inPipe[1])
            inPipe[1] = -1
        }
    }
    defer { if inPipe[1] >= 0 { close(inPipe[1]) } }
    close(out[1])
    close(err[1])
    guard let pid else {
        close(out[0])
        close(err[0])
        throw TestSetupError(message: "cannot start \(argv.joined(separator: " "))")
    }
    var buffers: [Int32: [UInt8]] = [out[0]: [], err[0]: []]
    var open = [out[0], err[0]]
    var chunk = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue } else { break } }
        for entry in fds where entry.revents != 0 {
            let count = read(entry.fd, &chunk, chunk.count)
            if count > 0 {
                buffers[entry.fd, default: []].append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno != EINTR {
                close(entry.fd)
                open.removeAll { $0 == entry.fd }
            }
        }
    }
    let (status, _) = ChildProcess.wait(pid)
    return ProcessOutput(
        status: status, stdout: String(decoding: buffers[out[0]] ?? [], as: UTF8.self),
        stderr: String(decoding: buffers[err[0]] ?? [], as: UTF8.self))
}

/// Runs a shell command for test set-up; returns its output, or throws with it.
@discardableResult
public func shell(_ command: String, environment: [String: String] = [:]) throws -> String {
    let result = try runProcess(["/bin/sh", "-c", command], environment: environment)
    guard result.status == 0 else { throw TestSetupError(message: "`\(command)` failed: \(result.stdout)\(result.stderr)") }
    return result.stdout + result.stderr
}

/// A process the test started in the background (a server), stopped by its PID.
public final class BackgroundProcess: @unchecked Sendable {
    public private(set) var pid: pid_t
    private let lock = NSLock()
    /// The process as started, for signals while another thread waits for it; 0 once reaped.
    private var signallable: pid_t

    /// Starts `argv` with its standard streams on /dev/null, or its stderr (and with `output`, its
    /// stdout too) appended to `log`.
    public init(_ argv: [String], log: String? = nil, output: Bool = false, environment: [String: String]? = nil) throws {
        let null = open("/dev/null", O_RDWR)
        let errors = log.map { open($0, O_WRONLY | O_CREAT | O_APPEND, 0o644) } ?? null
        defer {
            close(null)
            if errors != null { close(errors) }
        }
        guard let pid = ChildProcess.spawn(argv, stdin: null, stdout: output ? errors : null, stderr: errors, environment: environment) else {
            throw TestSetupError(message: "cannot start \(argv.joined(separator: " "))")
        }
        self.pid = pid
        signallable = pid
    }

    /// Kills the process (and its process group, which it leads) and reaps it.
    public func stop(_ signal: Int32 = SIGKILL) {
        let pid = lock.withLock { () -> pid_t in
            let pid = self.pid
            self.pid = 0
            return pid
        }
        guard pid > 0 else { return }
        defer { lock.withLock { signallable = 0 } }
        kill(-pid, SIGCONT)
        kill(-pid, signal)
        _ = ChildProcess.wait(pid)
    }

    /// Waits for the process to exit by itself; returns its exit status (128+N for a signal).
    public func waitForExit() -> Int32 {
        let pid = lock.withLock { () -> pid_t in
            let pid = self.pid
            self.pid = 0
            return pid
        }
        guard pid > 0 else { return -1 }
        let status = ChildProcess.wait(pid).0
        lock.withLock { signallable = 0 }
        return status
    }

    /// Sends a signal to the process alone; never to a process group (pid 0) once it was reaped.
    public func signal(_ number: Int32) {
        lock.withLock {
            if signallable > 0 { kill(signallable, number) }
        }
    }

    deinit { stop() }
}

extension Transport {
    /// A test's ad-hoc command, sent through the same starter as every planned command.
    public func exec(_ script: String, timeout: Double?, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        try await run(HostCommand(ShellCommand(script), limit: timeout), secrets: [:], output: output)
    }
}
