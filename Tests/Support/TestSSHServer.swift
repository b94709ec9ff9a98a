import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A failure to set up a test fixture (a server that would not start).
public struct TestSetupError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The user test sessions log in as: a user whose shell starts clean (root's ~/.bashrc runs pyenv,
/// adding 0.2 s to every command), created once when the tests run as root.
public enum TestUser {
    public static let name: String = {
        guard getuid() == 0 else { return ProcessInfo.processInfo.environment["USER"] ?? "root" }
        if (try? shell("id -u rbtest")) == nil {
            _ = try? shell("useradd --system --no-create-home --home-dir /var/lib/rbtest --shell /bin/sh rbtest")
        }
        _ = try? shell("mkdir -p /var/lib/rbtest && chown rbtest /var/lib/rbtest")
        // A locked password ("!") makes sshd refuse even key logins when PAM is off; "*" is not locked.
        _ = try? shell("usermod -p '*' rbtest")
        return (try? shell("id -u rbtest")) != nil ? "rbtest" : "root"
    }()
}

/// Picks a TCP port free on every loopback address, below the kernel's ephemeral range and never
/// twice in one process. A port from the ephemeral range (bind to port 0) can be taken by any
/// outgoing connection, or handed to a parallel test, while the app that owns it is stopped; then
/// the app's restart dies with EADDRINUSE and supervisord reports a spawn error.
public func freePort() -> Int {
    nextPort.withLock { next in
        for _ in 0..<portRange.count {
            let port = next
            next = next + 1 >= portRange.upperBound ? portRange.lowerBound : next + 1
            if canBind(port, family: AF_INET) && canBind(port, family: AF_INET6) { return port }
        }
        return 0
    }
}

/// Waits up to `seconds` until something accepts connections on 127.0.0.1:`port`; false if nothing did.
@discardableResult
public func waitUntilListening(_ port: Int, seconds: Double = 5) -> Bool {
    for _ in 0..<max(1, Int(seconds * 20)) {
        if (try? shell("nc -z 127.0.0.1 \(port)")) != nil { return true }
        usleep(50_000)
    }
    return false
}

private let portRange = 20_000..<32_000
// Parallel test processes (helpers' worktrees) start at different places in the range.
private let nextPort = Mutex(20_000 + Int(getpid() % 120) * 100)

private func canBind(_ port: Int, family: Int32) -> Bool {
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if family == AF_INET {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
    var one: Int32 = 1
    // Only the IPv6 side: the IPv4 side was checked on its own.
    _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_any
    address.sin6_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}

/// A real SSH server (OpenSSH, or Dropbear) on a loopback port with throwaway host and user keys,
/// stopped by its PID.
public final class TestSSHServer: @unchecked Sendable {
    /// Which server program runs.
    public enum Implementation: Sendable { case openssh, dropbear }

    public let implementation: Implementation
    public let directory: String
    public let port: Int
    public let user: String
    public let clientKey: String
    public let knownHosts: String
    public var pid: pid_t { process?.pid ?? 0 }
    private var process: BackgroundProcess?

    /// Starts sshd; `hostKeys` are the host key types it offers, `extraConfig` lines go into sshd_config.
    public init(
        _ implementation: Implementation = .openssh, hostKeys: [String] = ["ed25519"], extraConfig: [String] = [], userKeyType: String = "ed25519"
    ) throws {
        self.implementation = implementation
        // sshd refuses to start without its privilege separation directory (the service creates it).
        if getuid() == 0 { try shell("mkdir -p /run/sshd && chmod 755 /run/sshd") }
        directory = try shell("mktemp -d /tmp/runbook-sshd-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        try shell("chmod 755 \(directory)")
        port = freePort()
        user = TestUser.name
        clientKey = directory + "/client_\(userKeyType)"
        knownHosts = directory + "/known_hosts"
        var config = [
            "Port \(port)", "ListenAddress 127.0.0.1", "AuthorizedKeysFile \(directory)/authorized_keys", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "StrictModes no", "UsePAM no", "PidFile \(directory)/sshd.pid",
            "Subsystem sftp internal-sftp", "LogLevel ERROR", "AllowTcpForwarding yes", "PermitRootLogin yes", "MaxStartups 200",
        ]
        try shell("ssh-keygen -q -t \(userKeyType) -N '' -f \(clientKey)")
        let key: String
        switch implementation {
        case .openssh:
            for type in hostKeys {
                try shell("ssh-keygen -q -t \(type) -N '' -f \(directory)/host_\(type)")
                config.append("HostKey \(directory)/host_\(type)")
            }
            config += extraConfig
            try (config.joined(separator: "\n") + "\n").write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
            try shell("cp \(clientKey).pub \(directory)/authorized_keys && chmod 644 \(directory)/authorized_keys")
            // known_hosts as OpenSSH writes it for a non-22 port, with the ed25519 key when there is one.
            let recorded = hostKeys.contains("ed25519") ? "ed25519" : (hostKeys.first ?? "ed25519")
            key = try shell("cut -d' ' -f1,2 \(directory)/host_\(recorded).pub").trimmingCharacters(in: .whitespacesAndNewlines)
        case .dropbear:
            // Dropbear reads only ~/.ssh/authorized_keys of the user, and insists on strict modes.
            let home = NSHomeDirectoryForUser(user) ?? "/var/lib/rbtest"
            try shell(
                "mkdir -p \(home)/.ssh && cat \(clientKey).pub >> \(home)/.ssh/authorized_keys && chown -R \(user) \(home)/.ssh && chmod 700 \(home)/.ssh && chmod 600 \(home)/.ssh/authorized_keys"
            )
            try shell("dropbearkey -t ed25519 -f \(directory)/host_dropbear > /dev/null")
            key = try shell("dropbearkey -y -f \(directory)/host_dropbear | grep '^ssh-' | cut -d' ' -f1,2").trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        try "[127.0.0.1]:\(port) \(key)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        try start()
    }

    public func start() throws {
        switch implementation {
        case .openssh: process = try BackgroundProcess(["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"], log: directory + "/server.log")
        case .dropbear:
            process = try BackgroundProcess(
                [
                    "/usr/sbin/dropbear", "-F", "-E", "-s", "-p", "127.0.0.1:\(port)", "-r", directory + "/host_dropbear", "-P", directory + "/dropbear.pid",
                ], log: directory + "/server.log")
        }
        try waitUntilListening()
    }

    func waitUntilListening() throws {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if ok == 0 { return }
            usleep(20_000)
        }
        throw TestSetupError(message: "sshd did not listen on port \(port)")
    }

    /// Stops the server by its PID (never by name).
    public func stop() {
        process?.stop()
        process = nil
    }

    /// Freezes the server and its sessions' sshd processes (their process group): connections are
    /// accepted by the kernel but never answered.
    public func freeze() { for process in [pid] + descendants(of: pid) { kill(process, SIGSTOP) } }

    public func thaw() { for process in [pid] + descendants(of: pid) { kill(process, SIGCONT) } }

    /// The processes started under `parent` (sshd's session children set up sessions of their own).
    public func descendants(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var children: [pid_t: [pid_t]] = [:]
        for entry in entries {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { children[ppid, default: []].append(child) }
        }
        var result: [pid_t] = []
        var queue = children[parent] ?? []
        while let next = queue.popLast() {
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }

    deinit {
        stop()
        // RUNBOOK_KEEP_TEST_SERVERS=1 keeps keys and server logs for a look after a failure.
        guard ProcessInfo.processInfo.environment["RUNBOOK_KEEP_TEST_SERVERS"] == nil else { return }
        _ = try? shell("rm -rf \(directory)")
    }
}
