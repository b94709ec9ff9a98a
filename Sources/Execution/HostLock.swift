import Foundation
import RunbookModel
import Transport

/// The lock a run holds on a host: a folder made with an atomic `mkdir`, holding who took it.
/// It stops two runs (two deploys, a deploy and a recover) from changing one host at the same time.
public struct HostLock: Sendable {
    /// Where locks live on hosts: world-writable with the sticky bit, like /tmp, so runs by different
    /// users still see each other's locks.
    public static let defaultFolder = "/tmp/runbook-locks"

    public var folder: String
    public var name: String
    public var runID: String
    public var controller: String
    public var pid: Int32

    public init(
        name: String, runID: String, folder: String? = nil, controller: String = ProcessInfo.processInfo.hostName, pid: Int32 = getpid()
    ) {
        self.folder = folder ?? Self.defaultFolder
        self.name = name
        self.runID = runID
        self.controller = controller
        self.pid = pid
    }

    var path: String { "\(ShellQuote.quote(folder))/\(ShellWord.safe(name)).lock" }

    /// Takes the lock, or exits 3 printing the holder's owner file.
    var acquireScript: String {
        let started = Date.ISO8601FormatStyle().format(Date())
        return """
            d=\(ShellQuote.quote(folder)); l=\(path)
            if [ ! -d "$d" ]; then mkdir -p "$d" 2>/dev/null && chmod 1777 "$d" 2>/dev/null; fi
            if mkdir "$l" 2>/dev/null; then
              printf 'run_id=%s\\ncontroller=%s\\npid=%s\\nstarted=%s\\nuser=%s\\n' \(ShellQuote.quote(runID)) \(ShellQuote.quote(controller)) \(pid) \(started) "$(id -un)" > "$l/owner"
              echo acquired
            elif [ -d "$l" ]; then
              cat "$l/owner" 2>/dev/null || echo 'run_id=?'
              exit 3
            else
              echo "cannot create $l (is $d writable by $(id -un)?)" >&2
              exit 4
            fi
            """
    }

    /// Releases the lock only when this run holds it.
    var releaseScript: String {
        "l=\(path); if grep -qx \(ShellQuote.quote("run_id=" + runID)) \"$l/owner\" 2>/dev/null; then rm -rf \"$l\"; fi"
    }

    /// Reads an owner file into "run R from controller C (pid P, since T)".
    static func describeHolder(_ owner: String) -> String {
        var fields: [String: String] = [:]
        for line in owner.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return
            "run \(fields["run_id"] ?? "?") from \(fields["controller"] ?? "?") (pid \(fields["pid"] ?? "?"), user \(fields["user"] ?? "?"), since \(fields["started"] ?? "?"))"
    }

    /// The outcome of trying to take the lock.
    enum Acquired: Sendable {
        case taken
        case held(by: String)
        case failed(String)
    }

    /// Tries until `wait` runs out (a held lock is retried every second) or the run is stopped.
    func acquire(on transport: any Transport, wait: Double, stop: StopSignal? = nil) async -> Acquired {
        let until = Date().addingTimeInterval(wait)
        while true {
            let result: ExecResult
            do throws(TransportError) {
                result = try await transport.exec(acquireScript, timeout: 30, output: nil)
            } catch {
                return .failed(error.message)
            }
            if result.exitStatus == 0 { return .taken }
            if result.exitStatus != 3 { return .failed("cannot take the lock \(path): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
            if Date() >= until { return .held(by: Self.describeHolder(result.stdout)) }
            if let stop, !(await stop.sleep(seconds: min(1, until.timeIntervalSinceNow))) {
                return .failed("stopped while waiting for the lock held by \(Self.describeHolder(result.stdout))")
            }
            if stop == nil { try? await Task.sleep(for: .seconds(1)) }
        }
    }

    func release(on transport: any Transport) async {
        _ = try? await transport.exec(releaseScript, timeout: 30, output: nil)
    }

    /// Lists the locks in a folder: `NAME.lock<TAB>owner fields` per line.
    static func listScript(folder: String) -> String {
        """
        for l in \(ShellQuote.quote(folder))/*.lock; do [ -d "$l" ] || continue; printf '%s\\t' "$(basename "$l")"; tr '\\n' ' ' < "$l/owner" 2>/dev/null; echo; done
        """
    }
}

/// Lock names as path components.
enum ShellWord {
    /// A lock name reduced to characters safe in a path.
    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
