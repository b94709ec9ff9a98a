import Foundation
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Runs commands on the machine running runbook (`--hosts local`), with the same behaviour as SSH.
public struct LocalTransport: Transport {
    public let host: String

    public init(host: String = "local") { self.host = host }

    public func connect() async throws(TransportError) {}

    public func close() async {}

    public func exec(_ message: WireMessage, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        let host = self.host
        let result = await ChildProcess.onThread { Self.run(message, output: output, host: host) }
        return try result.get()
    }

    /// Starts the starter as sshd would (`sh -c REQUEST`), writes its standard input and keeps it open
    /// until the command ended, so a killed controller takes its commands with it here too.
    static func run(_ message: WireMessage, output: OutputHandler?, host: String) -> Result<ExecResult, TransportError> {
        let start = Date()
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0 else { return .failure(TransportError(.local, host: host, "pipe failed: errno \(errno)")) }
        guard pipe(&outPipe) == 0 else {
            closeAll(inPipe)
            return .failure(TransportError(.local, host: host, "pipe failed: errno \(errno)"))
        }
        guard pipe(&errPipe) == 0 else {
            closeAll(inPipe + outPipe)
            return .failure(TransportError(.local, host: host, "pipe failed: errno \(errno)"))
        }
        let spawned = ChildProcess.spawn(["/bin/sh", "-c", message.request], stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
        closeAll([inPipe[0], outPipe[1], errPipe[1]])
        guard let pid = spawned else {
            closeAll([inPipe[1], outPipe[0], errPipe[0]])
            return .failure(TransportError(.local, host: host, "cannot start /bin/sh"))
        }
        // A starter that died before reading everything must not kill runbook with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let input = Array(message.stdin.utf8)
        var offset = 0
        while offset < input.count {
            let count = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress.map { $0 + offset }, input.count - offset) }
            if count > 0 {
                offset += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        defer { Glibc.close(inPipe[1]) }
        let deadline = message.limit < HostCommand.unlimited ? start.addingTimeInterval(message.limit + 5) : nil
        var buffers = [LineBuffer(), LineBuffer()]
        var open = [true, true]
        let fds = [outPipe[0], errPipe[0]]
        let streams: [OutputStream] = [.stdout, .stderr]
        var timedOut = false
        var killAt: Date?
        var chunk = [UInt8](repeating: 0, count: 65536)
        while open[0] || open[1] {
            var pollfds = (0..<2).filter { open[$0] }.map { pollfd(fd: fds[$0], events: Int16(POLLIN), revents: 0) }
            let waitMs = deadline.map { max(0, Int32($0.timeIntervalSinceNow * 1000)) } ?? 1000
            _ = poll(&pollfds, nfds_t(pollfds.count), min(waitMs, 1000))
            for entry in pollfds where entry.revents != 0 {
                guard let index = fds.firstIndex(of: entry.fd) else { continue }
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    let lines = chunk.withUnsafeBytes { buffers[index].append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    for line in lines { output?(OutputLine(stream: streams[index], text: line)) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[index] = false
                }
            }
            if let deadline, !timedOut, Date() >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = Date().addingTimeInterval(2)
            }
            if let at = killAt, Date() >= at {
                kill(-pid, SIGKILL)
                killAt = nil
            }
        }
        Glibc.close(fds[0])
        Glibc.close(fds[1])
        for index in 0..<2 {
            if let last = buffers[index].finish() { output?(OutputLine(stream: streams[index], text: last)) }
        }
        let (status, signal) = ChildProcess.wait(pid)
        if timedOut { kill(-pid, SIGKILL) }
        return .success(
            ExecResult(
                exitStatus: status, signal: signal, stdout: buffers[0].text, stderr: buffers[1].text,
                timedOut: timedOut || message.timedOut(status: status),
                duration: Date().timeIntervalSince(start)))
    }

    private static func closeAll(_ descriptors: [Int32]) {
        for descriptor in descriptors { Glibc.close(descriptor) }
    }

    public func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError) {
        let host = self.host
        let error: TransportError? = await ChildProcess.onThread {
            let manager = FileManager.default
            do {
                if manager.fileExists(atPath: remotePath) { try manager.removeItem(atPath: remotePath) }
                try manager.copyItem(atPath: localPath, toPath: remotePath)
                chmod(remotePath, mode_t(mode))
                return nil
            } catch {
                return TransportError(.transfer, host: host, "cannot copy \(localPath) to \(remotePath): \(error.localizedDescription)")
            }
        }
        if let error { throw error }
    }

    public func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse {
        try await HTTPClient.request(url: url, method: method, timeout: timeout, host: host)
    }
}
