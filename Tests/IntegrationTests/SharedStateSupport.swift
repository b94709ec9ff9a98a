import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Every file under a host's folder but its locks, with its mode and bytes.
func filesBelow(_ dir: String) -> [String: String] {
    var result: [String: String] = [:]
    let names = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String]) ?? []
    for name in names where !name.hasPrefix("locks") {
        let path = "\(dir)/\(name)"
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        let bytes = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "(dir)"
        result[name] = "\(String(info.st_mode, radix: 8)) \(bytes)"
    }
    return result
}

/// Polls `condition` every 100 ms for up to `seconds`; its last answer.
func waitUntil(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return condition()
}

/// The environment of a controller on "another machine": a HOME of its own, the store's password,
/// lease timings short enough for tests, and no RUNBOOK_STATE from the test's own environment.
func controllerEnvironment(home: String, password: String, ttl: String, heartbeat: String, retry: String? = "3") -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = home
    environment["PGPASSWORD"] = password
    environment["RUNBOOK_LEASE_TTL"] = ttl
    environment["RUNBOOK_LEASE_HEARTBEAT"] = heartbeat
    if let retry { environment["RUNBOOK_STATE_RETRY"] = retry }
    environment.removeValue(forKey: "RUNBOOK_STATE")
    return environment
}
