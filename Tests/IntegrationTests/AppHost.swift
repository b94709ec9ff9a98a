import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A test host running the sample app under its own supervisord, both as the SSH login user, all
/// in one folder; stopped by PID.
final class AppHost: @unchecked Sendable {
    let server: TestSSHServer
    let dir: String
    let port: Int
    private var supervisord: BackgroundProcess?
    private var strays: [BackgroundProcess] = []
    private var dependencies: [BackgroundProcess] = []

    /// `bind` is the app's HOST (`::` binds IPv6 only); `health` what its build answers.
    init(bind: String = "0.0.0.0", health: Int = 200, version: String = "1.0.0", start: Bool = true) throws {
        server = try TestSSHServer()
        dir = try shell("mktemp -d /tmp/runbook-app-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        try shell("chmod 755 \(dir)")
        port = freePort()
        try shell("mkdir -p \(dir)/src && echo \(version) > \(dir)/src/version && echo \(health) > \(dir)/src/health")
        try shell("sh \(repositoryRoot.path)/Tests/Fixtures/app/setup-host.sh \(dir) \(port) \(server.user) \(bind)")
        if start { try startSupervisor() }
    }

    var asUser: [String] {
        server.user == "root" ? [] : ["/usr/bin/setpriv", "--reuid=\(server.user)", "--regid=\(server.user)", "--init-groups", "--"]
    }

    func startSupervisor() throws {
        supervisord = try BackgroundProcess(asUser + ["/usr/bin/supervisord", "-c", "\(dir)/supervisord.conf"])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: "\(dir)/supervisor.sock") { usleep(50_000) }
    }

    /// Starts a copy of the app outside the supervisor: the "old process" holding the port.
    func startStray() throws {
        strays.append(try BackgroundProcess(asUser + ["/usr/bin/python3", "\(dir)/server.py"]))
        try waitForHTTP()
    }

    var strayPIDs: [pid_t] { strays.map(\.pid) }

    /// Starts a stand-in Redis or database (Tests/Fixtures/app/dependency.py) on a free port.
    @discardableResult
    func startDependency(password: String? = nil, port chosen: Int? = nil) throws -> Int {
        let port = chosen ?? freePort()
        let script = "\(repositoryRoot.path)/Tests/Fixtures/app/dependency.py"
        dependencies.append(try BackgroundProcess(["/usr/bin/python3", script, "\(port)"] + (password.map { [$0] } ?? [])))
        guard waitUntilListening(port) else { throw TestSetupError(message: "the dependency on port \(port) did not listen") }
        return port
    }

    func stopDependencies() {
        for dependency in dependencies { dependency.stop(SIGKILL) }
        dependencies.removeAll()
    }

    /// Inventory variables that point the runbook at this host's app and supervisor.
    var vars: [String: String] {
        [
            "supervisor": "supervisord", "supervisor_command": "supervisorctl -c \(dir)/supervisord.conf", "dir": dir, "port": "\(port)",
            "build": "sh build.sh", "app": "shop",
        ]
    }

    /// The app's answer on 127.0.0.1 (nil when nothing answers).
    func get(_ path: String = "/api/health") -> (status: Int, body: String)? {
        guard let output = try? shell("curl -s -m 2 -o /dev/stdout -w '\\n%{http_code}' http://127.0.0.1:\(port)\(path)") else { return nil }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let status = lines.last.flatMap({ Int($0) }), status > 0 else { return nil }
        return (status, lines.dropLast().joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func waitForHTTP(timeout: Double = 10) throws {
        let until = Date().addingTimeInterval(timeout)
        while Date() < until {
            if get() != nil { return }
            usleep(100_000)
        }
        throw TestSetupError(message: "the app on port \(port) did not answer")
    }

    func supervisorctl(_ arguments: String) -> String {
        (try? runProcess(["/bin/sh", "-c", "supervisorctl -c \(dir)/supervisord.conf \(arguments)"]).stdout) ?? ""
    }

    deinit {
        for stray in strays { stray.stop(SIGKILL) }
        for dependency in dependencies { dependency.stop(SIGKILL) }
        supervisord?.stop(SIGTERM)
        if ProcessInfo.processInfo.environment["RUNBOOK_KEEP_TEST_SERVERS"] == nil { _ = try? shell("rm -rf \(dir)") }
    }
}

/// True while the process runs (a killed child the test has not reaped yet is a zombie: not running).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}
