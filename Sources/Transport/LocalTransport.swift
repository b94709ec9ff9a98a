import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs commands on the machine running runbook (`--hosts local`), with the same behaviour as SSH.
public struct LocalTransport: Transport {
    public let host: String

    public init(host: String = "local") { self.host = host }

    public func connect() async throws(TransportError) {}

    public func close() async {}

    public func exec(_ command: String, timeout: Double?, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        let host = self.host
        let result = await ChildProcess.onThread { Self.run(command, timeout: timeout, output: output, host: host) }
        return try result.get()
    }

    static func run(_ command: String, timeout: Double?, output: OutputHandler?, host: String) -> Result<ExecResult, TransportError> {
        let start = Date()
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { return .failure(TransportError(.local, host: host, "pipe failed: \(errno)")) }
        let devNull = open("/dev/null", O_RDONLY)
        let spawned = ChildProcess.spawn(["/bin/sh", "-c", command], stdin: devNull, stdout: outPipe[1], stderr: errPipe[1])
        Glibc.close(devNull)
        Glibc.close(outPipe[1])
        Glibc.close(errPipe[1])
        guard let pid = spawned else {
            Glibc.close(outPipe[0])
            Glibc.close(errPipe[0])
            return .failure(TransportError(.local, host: host, "cannot start /bin/sh"))
        }
        var buffers = [LineBuffer(), LineBuffer()]
        var open = [true, true]
        let fds = [outPipe[0], errPipe[0]]
        let streams: [OutputStream] = [.stdout, .stderr]
        let deadline = timeout.map { start.addingTimeInterval($0) }
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
                exitStatus: status, signal: signal, stdout: buffers[0].text, stderr: buffers[1].text, timedOut: timedOut,
                duration: Date().timeIntervalSince(start)))
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
