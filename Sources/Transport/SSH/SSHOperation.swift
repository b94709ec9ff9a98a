import CLibSSH2
import Foundation
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Work on one SSH connection, advanced step by step by the connection's own thread. No libssh2 pointer
/// leaves that thread; results go back through completion closures with Sendable values.
class SSHOperation {
    var finished = false
    /// When the caller gives up waiting (a command timeout, a stalled transfer).
    var deadline: Date?

    /// Advances as far as possible without blocking; true when anything changed.
    func step(_ connection: SSHConnection) -> Bool { false }

    /// Ends the operation with an error (the connection died, or the deadline passed).
    func abort(_ error: TransportError, _ connection: SSHConnection) {}

    /// Extra descriptors to wait on (a bridged socket), besides the SSH socket.
    var extraPoll: [pollfd] { [] }

    /// True while the operation calls libssh2 functions that read the SSH socket. Data nobody reads
    /// (OpenSSH's hostkeys notice after login, a late packet of a closed channel) would otherwise keep
    /// poll returning at once and the loop spinning.
    var readsSSH: Bool { true }
}

/// Runs one command on its own channel: the planned standard input written (and the channel's input
/// left open, so the host's starter kills the command if the connection goes), stdout and stderr
/// drained together (a full stderr window would otherwise stall stdout), exit status read only after
/// the channel closed.
final class ExecOperation: SSHOperation {
    enum State { case waiting, opening, starting, running, closing, waitClosed, freeing, done }

    let message: WireMessage
    /// The message's standard input, written from its own UTF-8 storage: a copy as bytes doubled
    /// every payload in flight.
    private var stdin: String
    private var written = 0
    let output: OutputHandler?
    private var completion: ((Result<ExecResult, TransportError>) -> Void)?
    private var state = State.waiting
    private var channel: OpaquePointer?
    private var buffers = [LineBuffer(), LineBuffer()]
    private var failure: TransportError?
    private var timedOut = false
    private let started = Date()

    override var readsSSH: Bool { state != .waiting && state != .done }

    init(message: WireMessage, deadline: Date?, output: OutputHandler?, completion: @escaping (Result<ExecResult, TransportError>) -> Void) {
        self.message = message
        self.stdin = message.stdin
        self.output = output
        self.completion = completion
        super.init()
        self.deadline = deadline
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
                if let opened = rb_channel_open_session(c.session) {
                    channel = opened
                    state = .starting
                } else if libssh2_session_last_errno(c.session) == LibSSH2.eagain {
                    return progressed
                } else {
                    let (code, message) = LibSSH2.lastError(c.session)
                    c.releaseOpen(self)
                    c.channelClosed()
                    let hint = code == LIBSSH2_ERROR_CHANNEL_FAILURE ? " (the server's MaxSessions may be lower than \(c.settings.maxChannels))" : ""
                    complete(.failure(TransportError(.channel, host: c.settings.name, "cannot open a channel: \(message) (libssh2 error \(code))\(hint)")))
                    c.noteFailure(code)
                    state = .done
                }
            case .starting:
                guard let channel else { return progressed }
                let rc = message.request.withCString { rb_channel_exec(channel, $0, UInt32(strlen($0))) }
                if rc == LibSSH2.eagain { return progressed }
                // The open slot is held until the exec request is answered: libssh2 1.10 fails a request
                // whose wait reads another channel's CHANNEL_SUCCESS ("Failed waiting for channel success").
                c.releaseOpen(self)
                if rc < 0 {
                    failure = TransportError(
                        .channel, host: c.settings.name, "cannot start the command: \(LibSSH2.lastError(c.session).message) (libssh2 error \(rc))")
                    state = .closing
                } else {
                    state = .running
                }
            case .running:
                guard let channel else { return progressed }
                var sawData = false
                while written < stdin.utf8.count {
                    let count = stdin.withUTF8 { buffer in
                        buffer.baseAddress.map { base in
                            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { rb_channel_write(channel, $0 + written, buffer.count - written) }
                        } ?? 0
                    }
                    if count > 0 {
                        written += count
                        sawData = true
                        continue
                    }
                    // EAGAIN: the window is full until the starter reads; any other error: the command
                    // ended before reading it all, which its exit status reports.
                    if Int32(count) != LibSSH2.eagain { written = stdin.utf8.count }
                    break
                }
                var ended = [false, false]
                for index in 0..<2 {
                    for _ in 0..<64 {
                        let count = c.readBuffer.withUnsafeMutableBufferPointer { buffer in
                            index == 0
                                ? rb_channel_read(channel, buffer.baseAddress, buffer.count)
                                : rb_channel_read_stderr(channel, buffer.baseAddress, buffer.count)
                        }
                        if count > 0 {
                            sawData = true
                            let lines = c.readBuffer.withUnsafeBytes { buffers[index].append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                            for line in lines { output?(OutputLine(stream: index == 0 ? .stdout : .stderr, text: line)) }
                            c.noteRead(count)
                            continue
                        }
                        if count == 0 { ended[index] = true }
                        if count < 0, Int32(count) != LibSSH2.eagain {
                            failure = TransportError(.disconnected, host: c.settings.name, "lost the connection: \(LibSSH2.lastError(c.session).message)")
                            c.noteFailure(Int32(count))
                            ended = [true, true]
                        }
                        break
                    }
                }
                progressed = progressed || sawData
                if failure != nil || (libssh2_channel_eof(channel) != 0 && ended[0] && ended[1]) {
                    state = .closing
                } else {
                    return progressed
                }
            case .closing:
                guard let channel else { return progressed }
                let rc = libssh2_channel_close(channel)
                if rc == LibSSH2.eagain { return progressed }
                state = rc == 0 && failure == nil ? .waitClosed : .freeing
            case .waitClosed:
                guard let channel else { return progressed }
                let rc = libssh2_channel_wait_closed(channel)
                if rc == LibSSH2.eagain { return progressed }
                state = .freeing
            case .freeing:
                guard let channel else { return progressed }
                // The exit status means something only now that the channel is closed (0 alone proves nothing).
                let status = libssh2_channel_get_exit_status(channel)
                var name: UnsafeMutablePointer<CChar>?
                var length = 0
                _ = libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil)
                var signal: String?
                if let name {
                    signal = String(cString: name)
                    libssh2_free(c.session, name)
                }
                let rc = libssh2_channel_free(channel)
                if rc == LibSSH2.eagain { return progressed }
                self.channel = nil
                c.channelClosed()
                finishResult(status: status, signal: signal, c)
                state = .done
            case .done:
                finished = true
                return true
            }
            if state != before { progressed = true }
        }
    }

    private func finishResult(status: Int32, signal: String?, _ c: SSHConnection) {
        for index in 0..<2 {
            if let last = buffers[index].finish() { output?(OutputLine(stream: index == 0 ? .stdout : .stderr, text: last)) }
        }
        if let failure {
            complete(.failure(failure))
            return
        }
        let exitStatus = signal != nil && status == 0 ? 128 : status
        complete(
            .success(
                ExecResult(
                    exitStatus: exitStatus, signal: signal, stdout: buffers[0].text, stderr: buffers[1].text,
                    timedOut: timedOut || message.timedOut(status: status),
                    duration: Date().timeIntervalSince(started))))
    }

    private func complete(_ result: Result<ExecResult, TransportError>) {
        completion?(result)
        completion = nil
    }

    override func abort(_ error: TransportError, _ c: SSHConnection) {
        if error.kind == .timeout {
            timedOut = true
            // Report now; the channel is closed in the background (the command itself was given to
            // coreutils `timeout`, or, limited by the controller alone, dies when the channel closes).
            complete(
                .success(
                    ExecResult(
                        exitStatus: 124, signal: nil, stdout: buffers[0].text, stderr: buffers[1].text, timedOut: true,
                        duration: Date().timeIntervalSince(started))))
        } else {
            complete(.failure(error))
        }
        deadline = nil
        switch state {
        case .waiting:
            state = .done
        case .opening:
            c.releaseOpen(self)
            c.channelClosed()
            state = .done
        case .starting, .running:
            c.releaseOpen(self)
            state = .closing
        default:
            break
        }
        if error.kind != .timeout { finished = true }
    }
}
