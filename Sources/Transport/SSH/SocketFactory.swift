import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Opens the byte stream an SSH session runs over: TCP, or a socketpair to a ProxyCommand.
enum SocketFactory {
    /// Connects TCP with a deadline; sets TCP_NODELAY (without it the first channel open took 44 ms).
    static func connectTCP(host: String, port: Int, timeout: Double, name: String) throws(TransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host, String(port), &hints, &list)
        guard lookup == 0, let first = list else {
            throw TransportError(.connect, host: name, "cannot resolve \(host): \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd < 0 { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if result != 0, errno == EINPROGRESS {
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&descriptor, 1, Int32(timeout * 1000))
                if ready == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    if error != 0 { lastError = String(cString: strerror(error)) }
                } else {
                    lastError = "no answer within ConnectTimeout \(Int(timeout))s"
                    result = -1
                }
            } else if result != 0 {
                lastError = String(cString: strerror(errno))
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            Glibc.close(fd)
        }
        throw TransportError(.connect, host: name, "cannot connect to \(host):\(port): \(lastError)")
    }

    /// Runs `command` with one end of a socketpair as its stdin and stdout (libssh2 needs send/recv,
    /// so a pipe would fail with "Failed sending banner"); returns our end and the child's pid.
    static func proxyCommand(_ command: String, name: String) throws(TransportError) -> (fd: Int32, pid: pid_t) {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw TransportError(.connect, host: name, "socketpair failed: \(String(cString: strerror(errno)))")
        }
        let devNull = open("/dev/null", O_WRONLY)
        let pid = ChildProcess.spawn(["/bin/sh", "-c", command], stdin: pair[1], stdout: pair[1], stderr: devNull)
        Glibc.close(devNull)
        Glibc.close(pair[1])
        guard let pid else {
            Glibc.close(pair[0])
            throw TransportError(.connect, host: name, "cannot start ProxyCommand `\(command)`")
        }
        return (pair[0], pid)
    }

    /// A connected socketpair: one end for a session, the other bridged to a channel.
    static func pair(name: String) throws(TransportError) -> (Int32, Int32) {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw TransportError(.connect, host: name, "socketpair failed: \(String(cString: strerror(errno)))")
        }
        return (pair[0], pair[1])
    }

    /// A listening TCP socket on 127.0.0.1 with a free port, for tunnels.
    static func listenLoopback(name: String) throws(TransportError) -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError(.channel, host: name, "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw TransportError(.channel, host: name, "cannot listen on 127.0.0.1")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
}
