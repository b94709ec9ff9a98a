import CLibSSH2
import Foundation
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH session to one host, owned by a thread of its own that runs a poll loop over the
/// non-blocking session and every channel on it. Callers hand it operations; nothing of libssh2
/// leaves that thread.
final class SSHConnection: @unchecked Sendable {
    let settings: SSHSettings
    /// Touched only by the loop thread after `open` returns.
    private(set) var session: OpaquePointer
    private let fd: Int32
    private let proxyPID: pid_t?
    private let jump: SSHConnection?

    // Shared with callers, under the lock.
    private let lock = NSLock()
    private var inbox: [SSHOperation] = []
    private var closeRequested = false
    private var deadError: TransportError?
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var loopEnded = false
    private let wakeRead: Int32
    private let wakeWrite: Int32

    // Loop-thread state.
    private var operations: [SSHOperation] = []
    private var openOwner: ObjectIdentifier?
    private var sftpOwner: ObjectIdentifier?
    private var channelCount = 0
    /// One read buffer per connection, shared by its operations (they run one at a time on its thread).
    /// It starts small and grows to `largeRead` at the first read that fills it: most commands print
    /// a few lines, and 32 KB per connection was 1.6 MB of the heap at 50 hosts; a large output still
    /// moves in 32 KB reads.
    var readBuffer = [CChar](unsafeUninitializedCapacity: SSHConnection.smallRead) { _, count in count = SSHConnection.smallRead }
    static let smallRead = 2048
    static let largeRead = 32768

    /// Called after a read of `count` bytes: a read that filled the buffer asks for the large one.
    func noteRead(_ count: Int) {
        guard count == readBuffer.count, readBuffer.count < Self.largeRead else { return }
        readBuffer = [CChar](unsafeUninitializedCapacity: Self.largeRead) { _, count in count = Self.largeRead }
    }
    /// settings.maxChannels, or 1 for a server known to fail with concurrent channels.
    private let channelLimit: Int
    var sftp: OpaquePointer?
    private var lastInbound = Date()
    private var wasReading = false
    private var lastKeepalive = Date()

    /// The SHA256 fingerprint of the key the host presented (`SHA256:…`).
    let hostKey: String

    private init(settings: SSHSettings, session: OpaquePointer, fd: Int32, proxyPID: pid_t?, jump: SSHConnection?) {
        self.settings = settings
        self.session = session
        self.fd = fd
        self.proxyPID = proxyPID
        self.jump = jump
        hostKey = SessionSetup.fingerprintSHA256(session)
        let banner = libssh2_session_banner_get(session).map { String(cString: $0) } ?? ""
        channelLimit = Self.channelLimit(banner: banner, configured: settings.maxChannels)
        // Without its wake-up pipe the loop still works, polling every 100 ms (the backstop below).
        var pipeEnds: [Int32] = [-1, -1]
        if pipe(&pipeEnds) != 0 { pipeEnds = [-1, -1] }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        SocketFactory.setNonBlocking(wakeRead)
        SocketFactory.setNonBlocking(wakeWrite)
    }

    /// Dropbear 2022.83 up to 2024.85 aborts the whole session (`Failed assertion (common-channel.c:705):
    /// !channel->sent_close`, dropbear issue #321, fixed in 2024.86) when a channel opens while another
    /// channel's process exits; one channel at a time avoids it.
    static func channelLimit(banner: String, configured: Int) -> Int {
        guard let range = banner.range(of: "dropbear", options: .caseInsensitive) else { return configured }
        let version = banner[range.upperBound...].drop { $0 == "_" }.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        guard version.count >= 2 else { return 1 }
        let affected = (version[0], version[1]) >= (2022, 83) && (version[0], version[1]) < (2024, 86)
        return affected ? 1 : configured
    }

    /// Connects (through a jump host or ProxyCommand when set), verifies the host key, authenticates,
    /// and starts the connection's thread.
    static func open(_ settings: SSHSettings) async throws(TransportError) -> SSHConnection {
        var jumpConnection: SSHConnection?
        if case .invalid(let problem) = settings.jump { throw TransportError(.connect, host: settings.name, problem) }
        if case .through(let jumpSettings) = settings.jump {
            jumpConnection = try await open(jumpSettings)
        }
        let jump = jumpConnection
        let result: Result<SSHConnection, TransportError> = await ChildProcess.onThread {
            var proxyPID: pid_t?
            do throws(TransportError) {
                let (session, fd) = try SessionSetup.open(settings) { () throws(TransportError) -> Int32 in
                    if let jump {
                        let (mine, theirs) = try SocketFactory.pair(name: settings.name)
                        jump.submit(BridgeOperation(fd: theirs, host: settings.address, port: settings.port))
                        return mine
                    }
                    if let command = settings.proxyCommand {
                        if let previous = proxyPID { Self.stopProxy(previous) }
                        let (fd, pid) = try SocketFactory.proxyCommand(command, name: settings.name)
                        proxyPID = pid
                        return fd
                    }
                    return try SocketFactory.connectTCP(
                        host: settings.address, port: settings.port, timeout: settings.connectTimeout, name: settings.name)
                }
                let connection = SSHConnection(settings: settings, session: session, fd: fd, proxyPID: proxyPID, jump: jump)
                let thread = Thread { connection.run() }
                thread.stackSize = 1 << 20
                thread.start()
                return .success(connection)
            } catch {
                if let proxyPID { Self.stopProxy(proxyPID) }
                return .failure(error)
            }
        }
        switch result {
        case .success(let connection): return connection
        case .failure(let error):
            if let jump { await jump.close() }
            throw error
        }
    }

    /// Stops a ProxyCommand this connection started (by its PID, and its process group).
    private static func stopProxy(_ pid: pid_t) {
        kill(-pid, SIGTERM)
        _ = ChildProcess.wait(pid)
    }

    // MARK: - Caller side

    func submit(_ operation: SSHOperation) {
        lock.lock()
        if let deadError {
            lock.unlock()
            operation.abort(deadError, self)
            return
        }
        inbox.append(operation)
        lock.unlock()
        wake()
    }

    private func wake() {
        lock.lock()
        defer { lock.unlock() }
        // After the loop ended the pipe is closed (and its number may be reused): never write then.
        guard !loopEnded else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func exec(_ message: WireMessage, deadline: Date?, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        let result: Result<ExecResult, TransportError> = await withCheckedContinuation { continuation in
            submit(ExecOperation(message: message, deadline: deadline, output: output) { continuation.resume(returning: $0) })
        }
        return try result.get()
    }

    func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError) {
        let result: Result<Void, TransportError> = await withCheckedContinuation { continuation in
            submit(UploadOperation(localPath: localPath, remotePath: remotePath, mode: mode) { continuation.resume(returning: $0) })
        }
        try result.get()
    }

    /// A loopback port whose connections reach `host:port` as the SSH server sees it.
    func listen(to host: String, port: Int) throws(TransportError) -> (port: Int, operation: ListenerOperation) {
        let (fd, localPort) = try SocketFactory.listenLoopback(name: settings.name)
        let listener = ListenerOperation(fd: fd, host: host, port: port)
        submit(listener)
        return (localPort, listener)
    }

    func stopListening(_ listener: ListenerOperation) {
        lock.lock()
        listener.cancelled.store(true, ordering: .releasing)
        lock.unlock()
        wake()
    }

    /// Finishes what is running, disconnects, and stops the thread (and any ProxyCommand or jump host).
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if loopEnded {
                lock.unlock()
                continuation.resume()
                return
            }
            closeRequested = true
            closeWaiters.append(continuation)
            lock.unlock()
            wake()
        }
        if let jump { await jump.close() }
    }

    // MARK: - Loop side (the connection's thread only)

    func acquireOpen(_ operation: SSHOperation) -> Bool {
        // One channel open in flight per session, and fewer channels than the server's MaxSessions.
        let id = ObjectIdentifier(operation)
        if openOwner == id { return true }
        guard openOwner == nil, channelCount < channelLimit else { return false }
        openOwner = id
        channelCount += 1
        return true
    }

    func releaseOpen(_ operation: SSHOperation) {
        if openOwner == ObjectIdentifier(operation) { openOwner = nil }
    }

    func channelClosed() { channelCount = max(0, channelCount - 1) }

    func acquireSFTP(_ operation: SSHOperation) -> Bool {
        let id = ObjectIdentifier(operation)
        if sftpOwner == id { return true }
        guard sftpOwner == nil else { return false }
        sftpOwner = id
        return true
    }

    func releaseSFTP(_ operation: SSHOperation) {
        if sftpOwner == ObjectIdentifier(operation) { sftpOwner = nil }
    }

    func add(_ operation: SSHOperation) { operations.append(operation) }

    /// A libssh2 error that means the connection itself is gone.
    func noteFailure(_ code: Int32) {
        if [LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_TIMEOUT].contains(code) {
            let message = LibSSH2.lastError(session).message
            markDead(
                TransportError(
                    .disconnected, host: settings.name, "lost the connection to \(settings.address):\(settings.port): \(message) (libssh2 error \(code))"))
        }
    }

    /// True once the connection died (the server or the network went away).
    var isDead: Bool {
        lock.lock()
        defer { lock.unlock() }
        return deadError != nil
    }

    private func markDead(_ error: TransportError) {
        lock.lock()
        if deadError == nil { deadError = error }
        let pending = inbox
        inbox.removeAll()
        lock.unlock()
        for operation in pending + operations where !operation.finished { operation.abort(error, self) }
        operations.removeAll()
    }

    private func run() {
        var drain = [UInt8](repeating: 0, count: 256)
        while true {
            lock.lock()
            let incoming = inbox
            inbox.removeAll()
            let closing = closeRequested
            let dead = deadError != nil
            lock.unlock()
            if !incoming.isEmpty {
                if operations.isEmpty { lastInbound = Date() }
                operations.append(contentsOf: incoming)
            }
            if (closing && operations.allSatisfy { $0 is ListenerOperation }) || (closing && dead) { break }

            var progressed = false
            var index = 0
            while index < operations.count {
                let operation = operations[index]
                if operation.step(self) { progressed = true }
                index += 1
            }
            let now = Date()
            for operation in operations where !operation.finished {
                if let deadline = operation.deadline, now >= deadline {
                    operation.abort(TransportError(.timeout, host: settings.name, "the command timed out"), self)
                    progressed = true
                }
            }
            operations.removeAll { $0.finished }
            let reading = operations.contains { $0.readsSSH }
            if reading && !wasReading {
                // Silence while nobody read the socket says nothing about the server.
                lastInbound = now
                lastKeepalive = now
            }
            wasReading = reading
            if reading, settings.serverAliveInterval > 0, !dead {
                if now.timeIntervalSince(lastKeepalive) >= settings.serverAliveInterval {
                    var next: Int32 = 0
                    _ = libssh2_keepalive_send(session, &next)
                    lastKeepalive = now
                }
                let silence = now.timeIntervalSince(lastInbound)
                if silence > settings.serverAliveInterval * Double(settings.serverAliveCountMax) + 0.5 {
                    markDead(
                        TransportError(
                            .disconnected, host: settings.name,
                            "\(settings.address):\(settings.port) stopped answering: nothing for \(Int(silence))s (ServerAliveInterval \(Int(settings.serverAliveInterval))s × \(settings.serverAliveCountMax))"
                        ))
                    continue
                }
            }
            if progressed { continue }
            var descriptors: [pollfd] = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            // POLLHUP and POLLERR are reported whatever the events, so an idle connection still notices a hang-up.
            var sshEvents = reading ? Int16(POLLIN) : 0
            if libssh2_session_block_directions(session) & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { sshEvents |= Int16(POLLOUT) }
            descriptors.append(pollfd(fd: fd, events: sshEvents, revents: 0))
            for operation in operations { descriptors.append(contentsOf: operation.extraPoll) }
            // A short backstop: block_directions reflects only the last transport call.
            let timeout: Int32 = operations.isEmpty ? 1000 : 50
            _ = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if descriptors[0].revents != 0 { _ = read(wakeRead, &drain, drain.count) }
            if descriptors[1].revents & Int16(POLLIN) != 0 { lastInbound = Date() }
            if descriptors[1].revents & Int16(POLLHUP | POLLERR) != 0, descriptors[1].revents & Int16(POLLIN) == 0 {
                markDead(TransportError(.disconnected, host: settings.name, "\(settings.address):\(settings.port) closed the connection"))
            }
        }
        for operation in operations where !operation.finished {
            operation.abort(TransportError(.disconnected, host: settings.name, "the connection was closed"), self)
        }
        operations.removeAll()
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, 2000)
        if let sftp { _ = libssh2_sftp_shutdown(sftp) }
        _ = rb_session_disconnect(session, "runbook done")
        libssh2_session_free(session)
        Glibc.close(fd)
        if let proxyPID { Self.stopProxy(proxyPID) }
        lock.lock()
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
        loopEnded = true
        if deadError == nil { deadError = TransportError(.disconnected, host: settings.name, "the connection was closed") }
        let waiters = closeWaiters
        closeWaiters.removeAll()
        lock.unlock()
        for waiter in waiters { waiter.resume() }
    }
}
