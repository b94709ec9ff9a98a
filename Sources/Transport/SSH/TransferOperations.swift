import CLibSSH2
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Copies a local file to the host over SFTP, looping on partial writes.
final class UploadOperation: SSHOperation {
    enum State { case waiting, initSFTP, opening, writing, closing, done }

    let localPath: String
    let remotePath: String
    let mode: Int32
    private var completion: ((Result<Void, TransportError>) -> Void)?
    private var state = State.waiting
    private var handle: OpaquePointer?
    private var file: FileHandle?
    private var pending = Data()
    private var sentAll = false
    private var failure: TransportError?

    override var readsSSH: Bool { state != .waiting && state != .done }

    init(localPath: String, remotePath: String, mode: Int32, completion: @escaping (Result<Void, TransportError>) -> Void) {
        self.localPath = localPath
        self.remotePath = remotePath
        self.mode = mode
        self.completion = completion
    }

    override func step(_ c: SSHConnection) -> Bool {
        var progressed = false
        while true {
            let before = state
            switch state {
            case .waiting:
                // One SFTP transfer at a time: libssh2 keeps request state per SFTP session.
                guard c.acquireSFTP(self) else { return progressed }
                guard let opened = FileHandle(forReadingAtPath: localPath) else {
                    fail(TransportError(.transfer, host: c.settings.name, "cannot read \(localPath) on this machine"), c)
                    return true
                }
                file = opened
                state = c.sftp == nil ? .initSFTP : .opening
            case .initSFTP:
                guard c.acquireOpen(self) else { return progressed }
                if let sftp = libssh2_sftp_init(c.session) {
                    c.sftp = sftp
                    c.releaseOpen(self)
                    state = .opening
                } else if libssh2_session_last_errno(c.session) == LibSSH2.eagain {
                    return progressed
                } else {
                    c.releaseOpen(self)
                    c.channelClosed()
                    fail(TransportError(.transfer, host: c.settings.name, "cannot start SFTP: \(LibSSH2.lastError(c.session).message)"), c)
                    return true
                }
            case .opening:
                guard let sftp = c.sftp else { return progressed }
                let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
                if let opened = rb_sftp_open(sftp, remotePath, flags, Int(mode)) {
                    handle = opened
                    state = .writing
                } else if libssh2_session_last_errno(c.session) == LibSSH2.eagain {
                    return progressed
                } else {
                    fail(
                        TransportError(
                            .transfer, host: c.settings.name,
                            "cannot create \(remotePath): \(LibSSH2.lastError(c.session).message) (SFTP status \(libssh2_sftp_last_error(sftp)))"), c)
                    return true
                }
            case .writing:
                guard let handle else { return progressed }
                if pending.isEmpty, !sentAll {
                    let next = file?.readData(ofLength: 65536) ?? Data()
                    if next.isEmpty { sentAll = true } else { pending = next }
                }
                if pending.isEmpty, sentAll {
                    state = .closing
                    break
                }
                let written = pending.withUnsafeBytes { raw in
                    libssh2_sftp_write(handle, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if written == Int(LibSSH2.eagain) { return progressed }
                if written < 0 {
                    failure = TransportError(.transfer, host: c.settings.name, "writing \(remotePath) failed: \(LibSSH2.lastError(c.session).message)")
                    state = .closing
                    break
                }
                pending.removeFirst(written)
                progressed = true
            case .closing:
                guard let handle else { return progressed }
                let rc = libssh2_sftp_close_handle(handle)
                if rc == LibSSH2.eagain { return progressed }
                self.handle = nil
                if let failure { fail(failure, c) } else { succeed(c) }
                return true
            case .done:
                finished = true
                return true
            }
            if state != before { progressed = true }
        }
    }

    private func succeed(_ c: SSHConnection) {
        try? file?.close()
        c.releaseSFTP(self)
        completion?(.success(()))
        completion = nil
        state = .done
        finished = true
    }

    private func fail(_ error: TransportError, _ c: SSHConnection) {
        try? file?.close()
        c.releaseSFTP(self)
        completion?(.failure(error))
        completion = nil
        state = .done
        finished = true
    }

    override func abort(_ error: TransportError, _ c: SSHConnection) {
        if state == .initSFTP { c.releaseOpen(self) }
        fail(error, c)
    }
}

/// Bridges a local socket to a direct-tcpip channel (`host:port` as the SSH server sees it): used for
/// ProxyJump and for HTTP requests made from the host.
final class BridgeOperation: SSHOperation {
    enum State { case waiting, opening, pumping, closing, done }

    let fd: Int32
    let targetHost: String
    let targetPort: Int
    private var state = State.waiting
    private var channel: OpaquePointer?
    private var toChannel: [UInt8] = []
    private var toSocket: [UInt8] = []
    private var socketEOF = false
    private var channelEOF = false
    private var eofSent = false
    private var buffer = [UInt8](repeating: 0, count: 32768)

    init(fd: Int32, host: String, port: Int) {
        self.fd = fd
        self.targetHost = host
        self.targetPort = port
        SocketFactory.setNonBlocking(fd)
    }

    override var extraPoll: [pollfd] {
        guard state == .pumping else { return [] }
        var events: Int16 = 0
        if !socketEOF, toChannel.count < 262_144 { events |= Int16(POLLIN) }
        if !toSocket.isEmpty { events |= Int16(POLLOUT) }
        return events == 0 ? [] : [pollfd(fd: fd, events: events, revents: 0)]
    }

    override func step(_ c: SSHConnection) -> Bool {
        var progressed = false
        while true {
            let before = state
            switch state {
            case .waiting:
                guard c.acquireOpen(self) else { return progressed }
                state = .opening
            case .opening:
                if let opened = rb_channel_direct_tcpip(c.session, targetHost, Int32(targetPort)) {
                    channel = opened
                    c.releaseOpen(self)
                    state = .pumping
                } else if libssh2_session_last_errno(c.session) == LibSSH2.eagain {
                    return progressed
                } else {
                    c.releaseOpen(self)
                    c.channelClosed()
                    Glibc.close(fd)
                    state = .done
                }
            case .pumping:
                guard let channel else { return progressed }
                var moved = false
                // Socket → channel.
                if !socketEOF, toChannel.count < 262_144 {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        toChannel.append(contentsOf: buffer[0..<count])
                        moved = true
                    } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                        socketEOF = true
                        moved = true
                    }
                }
                if !toChannel.isEmpty {
                    let written = toChannel.withUnsafeBufferPointer { raw in
                        raw.withMemoryRebound(to: CChar.self) { rb_channel_write(channel, $0.baseAddress, $0.count) }
                    }
                    if written > 0 {
                        toChannel.removeFirst(written)
                        moved = true
                    } else if written < 0, Int32(written) != LibSSH2.eagain {
                        state = .closing
                        break
                    }
                }
                if socketEOF, toChannel.isEmpty, !eofSent {
                    let rc = rb_channel_eof_send(channel)
                    if rc != LibSSH2.eagain { eofSent = true }
                }
                // Channel → socket.
                if !channelEOF {
                    let count = buffer.withUnsafeMutableBufferPointer { raw in
                        raw.withMemoryRebound(to: CChar.self) { rb_channel_read(channel, $0.baseAddress, $0.count) }
                    }
                    if count > 0 {
                        toSocket.append(contentsOf: buffer[0..<count])
                        moved = true
                    } else if count == 0, libssh2_channel_eof(channel) != 0 {
                        channelEOF = true
                        moved = true
                    } else if count < 0, Int32(count) != LibSSH2.eagain {
                        channelEOF = true
                        moved = true
                    }
                }
                if !toSocket.isEmpty {
                    let written = toSocket.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if written > 0 {
                        toSocket.removeFirst(written)
                        moved = true
                    } else if written < 0, errno != EAGAIN, errno != EINTR {
                        toSocket.removeAll()
                        socketEOF = true
                        channelEOF = true
                    }
                }
                if channelEOF, toSocket.isEmpty { shutdown(fd, Int32(SHUT_WR)) }
                if (channelEOF && toSocket.isEmpty && socketEOF && toChannel.isEmpty) || (channelEOF && socketEOF) {
                    state = .closing
                } else {
                    return progressed || moved
                }
            case .closing:
                guard let channel else { return progressed }
                let rc = libssh2_channel_free(channel)
                if rc == LibSSH2.eagain { return progressed }
                self.channel = nil
                c.channelClosed()
                Glibc.close(fd)
                state = .done
            case .done:
                finished = true
                return true
            }
            if state != before { progressed = true }
        }
    }

    override func abort(_ error: TransportError, _ c: SSHConnection) {
        if state == .opening {
            c.releaseOpen(self)
            c.channelClosed()
        }
        if state != .done { Glibc.close(fd) }
        state = .done
        finished = true
    }
}

/// Accepts connections on a loopback port and bridges each to `host:port` through the connection.
final class ListenerOperation: SSHOperation {
    let fd: Int32
    let targetHost: String
    let targetPort: Int
    /// Set by the caller's thread, read by the loop's.
    let cancelled = Atomic<Bool>(false)

    init(fd: Int32, host: String, port: Int) {
        self.fd = fd
        self.targetHost = host
        self.targetPort = port
        SocketFactory.setNonBlocking(fd)
    }

    override var extraPoll: [pollfd] { [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)] }

    override var readsSSH: Bool { false }

    override func step(_ c: SSHConnection) -> Bool {
        if cancelled.load(ordering: .acquiring) {
            Glibc.close(fd)
            finished = true
            return true
        }
        let accepted = accept(fd, nil, nil)
        guard accepted >= 0 else { return false }
        c.add(BridgeOperation(fd: accepted, host: targetHost, port: targetPort))
        return true
    }

    override func abort(_ error: TransportError, _ c: SSHConnection) {
        Glibc.close(fd)
        finished = true
    }
}
