import Execution
import Foundation
import TestSupport
import Testing

/// The runbooks of runbooks/ for the write-ups 001-004, on real parts: sshd, Debian's supervisord,
/// the sample app and a stand-in dependency. Each recreates the broken state, shows the fix passing,
/// and shows a broken variant rolled back (or stopped by its precheck with nothing changed).
@Suite(.serialized, .timeLimit(.minutes(3))) struct WriteUpRunbookTests {
    var env: (AppHost) -> String = { "\($0.dir)/.env.production" }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func statBytes(_ path: String) throws -> String { try shell("stat -c '%s %a %u:%g' \(path) && sha256sum < \(path)") }

    func pid(_ host: AppHost, _ app: String = "shop") -> String {
        let words = host.supervisorctl("status \(app)").split(separator: " ", omittingEmptySubsequences: true)
        return words.firstIndex(of: "pid").map { String(words[$0 + 1].dropLast()) } ?? "none"
    }

    func message(_ summary: RunSummary) -> String { summary.outcomes["h0"]?.message ?? "" }

    /// Waits until supervisord reports the app RUNNING (it says STARTING for `startsecs` after it listens).
    func waitForRunning(_ host: AppHost, _ app: String = "shop") throws {
        for _ in 0..<100 {
            if host.supervisorctl("status \(app)").contains("RUNNING") { return }
            usleep(100_000)
        }
        throw TestSetupError(message: "\(app) did not reach RUNNING")
    }

    /// 001: Redis down: the precheck stops the run before any change (no undo, no rollback block);
    /// Redis up: the password is set and the app restarts healthy; a password Redis refuses: the
    /// restart fails with the app's own WRONGPASS lines, and the env file comes back byte for byte.
    @Test func gracefulRestartWithPreconditions() async throws {
        let host = try AppHost(start: false)
        let redisPort = freePort()
        try shell(
            "printf '# app settings\\nexport PORT=%s\\nHOST=0.0.0.0\\nREDIS_ADDR=127.0.0.1:%s\\nREDIS_PASSWORD=old\\n' \(host.port) \(redisPort) > \(env(host)) && chown \(host.server.user) \(env(host)) && chmod 640 \(env(host))"
        )
        try host.startDependency(password: "old", port: redisPort)
        try host.startSupervisor()
        try host.waitForHTTP()
        try waitForRunning(host)
        var vars = host.vars
        vars["env_path"] = env(host)
        vars["redis"] = "127.0.0.1:\(redisPort)"

        // Broken: Redis is down. Nothing runs; the app keeps its pid; exit 1.
        host.stopDependencies()
        let before = try statBytes(env(host))
        let pidBefore = pid(host)
        let (down, downLog) = try await apply("runbooks/graceful-restart.rb", on: [host.server], vars: [vars], set: ["redis_password": "new"])
        #expect(down.exitStatus == 1)
        #expect(down.outcomes["h0"]?.result == .precheckFailed)
        #expect(message(down).contains("127.0.0.1:\(redisPort) reachable from the host: cannot connect"), "\(message(down))")
        #expect(downLog.undos().isEmpty)
        #expect(try statBytes(env(host)) == before)
        #expect(pid(host) == pidBefore)

        // Fixed: Redis expects the new password; the run sets it and the app restarts healthy.
        try host.startDependency(password: "new", port: redisPort)
        let (fixed, _) = try await apply("runbooks/graceful-restart.rb", on: [host.server], vars: [vars], set: ["redis_password": "new"])
        #expect(fixed.exitStatus == 0, "\(message(fixed))")
        #expect(try read(env(host)).contains("REDIS_PASSWORD=new\n"))
        #expect(try read(env(host)).hasPrefix("# app settings\nexport PORT="))
        #expect(host.get("/status")?.body.contains("\"healthy\"") == true)

        // Broken variant: a password Redis refuses. The restart fails, the message ends with the
        // app's log, the env file is byte-identical again and the rollback block restarts the app.
        let good = try statBytes(env(host))
        let (refused, log) = try await apply("runbooks/graceful-restart.rb", on: [host.server], vars: [vars], set: ["redis_password": "wrong"])
        #expect(refused.exitStatus == 1)
        #expect(refused.outcomes["h0"]?.result == .rolledBack)
        #expect(message(refused).contains("WRONGPASS"), "\(message(refused))")
        #expect(!message(refused).contains("wrong"), "the secret leaked: \(message(refused))")
        #expect(try statBytes(env(host)) == good)
        #expect(log.undos() == ["configure", "rollback"])
        try host.waitForHTTP()
        #expect(host.get("/status")?.body.contains("\"healthy\"") == true)
    }

    /// 002: the app holds more than its limit; raising its room and reloading (SIGHUP, no restart)
    /// passes the memory check; a reload that overshoots the limit is reloaded back with the old file.
    @Test func memoryLimitsAndReload() async throws {
        let host = try AppHost(start: false)
        try shell("echo BALLAST_MB=150 >> \(env(host))")
        try host.startSupervisor()
        try host.waitForHTTP()
        try waitForRunning(host)
        var vars = host.vars
        vars["env_path"] = env(host)
        let pidBefore = pid(host)

        let (fixed, fixedLog) = try await apply(
            "runbooks/memory-reload.rb", on: [host.server], vars: [vars], set: ["heap_mb": "16", "limit": "100M"])
        #expect(fixed.exitStatus == 0, "\(message(fixed))")
        #expect(pid(host) == pidBefore, "reload restarted the app")
        let memory = fixedLog.all.compactMap { event -> String? in
            if case .assertion(_, let description, true, _, let found) = event.kind, description.hasPrefix("memory") { return found }
            return nil
        }
        #expect(memory.first?.hasPrefix("RSS ") == true, "\(memory)")

        let good = try statBytes(env(host))
        let (over, _) = try await apply("runbooks/memory-reload.rb", on: [host.server], vars: [vars], set: ["heap_mb": "300", "limit": "100M"])
        #expect(over.exitStatus == 1)
        #expect(over.outcomes["h0"]?.result == .rolledBack)
        #expect(message(over).contains("memory of shop ≤ 100.0 MiB: RSS"), "\(message(over))")
        #expect(message(over).contains("last "), "no log lines: \(message(over))")
        #expect(try statBytes(env(host)) == good)
        #expect(pid(host) == pidBefore)
        let rss = try shell("awk '/^VmRSS/ {print $2}' /proc/\(pidBefore)/status").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(rss) ?? .max) < 100 * 1024, "the reload undo did not give the memory back: \(rss) KiB")
    }

    /// 003: a duplicate program holds the port and the app crash-loops on EADDRINUSE. Removing the
    /// duplicate (kept in the configuration) and restarting passes; when the app's health fails, the
    /// rollback puts the duplicate back as it was.
    @Test func singleInstanceBehindTheBalancer() async throws {
        let host = try AppHost(start: false)
        try shell(
            """
            cd \(host.dir) && sed -n '/^\\[program:shop\\]/,$p' supervisord.conf | sed 's/^\\[program:shop\\]/[program:shop-dup]/; s|logs/app.log|logs/dup.log|' > dup.conf \
            && sed -i 's/^\\[program:shop\\]/[program:shop]\\npriority=999/' supervisord.conf && sed -i 's/^\\[program:shop-dup\\]/[program:shop-dup]\\npriority=1/' dup.conf \
            && cat dup.conf >> supervisord.conf && chown -R \(host.server.user) .
            """)
        try host.startSupervisor()
        // The duplicate must hold the port and the app crash-loop on it. supervisord starts both at once
        // (priority orders the starts, not the binds): when the app won the race, start them in order.
        func logged(_ file: String) -> Bool { (try? read("\(host.dir)/logs/\(file)"))?.contains("EADDRINUSE") ?? false }
        for _ in 0..<150 where !logged("app.log") && !logged("dup.log") { try await Task.sleep(for: .milliseconds(100)) }
        if !logged("app.log") {
            _ = host.supervisorctl("stop shop")
            _ = host.supervisorctl("restart shop-dup")
            for _ in 0..<100 where host.get() == nil { try await Task.sleep(for: .milliseconds(100)) }
            _ = host.supervisorctl("start shop")
            for _ in 0..<150 where !logged("app.log") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(try read("\(host.dir)/logs/app.log").contains("EADDRINUSE"))
        var vars = host.vars
        vars["app"] = "shop"
        vars["duplicate"] = "shop-dup"

        // Broken variant first: the app's build fails its health check; the duplicate comes back.
        try shell("echo 500 > \(host.dir)/src/health && cd \(host.dir) && sh build.sh > /dev/null")
        let (unhealthy, _) = try await apply("runbooks/single-instance.rb", on: [host.server], vars: [vars])
        #expect(unhealthy.exitStatus == 1, "\(message(unhealthy))")
        #expect(unhealthy.outcomes["h0"]?.result == .rolledBack, "\(unhealthy.outcomes["h0"]?.left ?? [])")
        // Back in supervisord as a program (crash-looping again behind the app, as before the run).
        #expect(!host.supervisorctl("status shop-dup").contains("no such process"))
        #expect(unhealthy.outcomes["h0"]?.left.isEmpty == true)

        try shell("echo 200 > \(host.dir)/src/health && cd \(host.dir) && sh build.sh > /dev/null")
        let (fixed, _) = try await apply("runbooks/single-instance.rb", on: [host.server], vars: [vars])
        #expect(fixed.exitStatus == 0, "\(message(fixed))")
        #expect(host.supervisorctl("status shop").contains("RUNNING"))
        #expect(host.supervisorctl("status shop-dup").contains("no such process"))
        #expect(try read("\(host.dir)/supervisord.conf").contains("[program:shop-dup]"))
    }

    /// 004: the app listens on 3001's stand-in while the upstream proxies to the runbook's port. The
    /// database down stops the run in its precheck; up, the port is aligned and /status is healthy;
    /// when the app's own database address is wrong, /status says "unhealthy" (which a `contains:
    /// "healthy"` would pass), and the env file and the old port come back.
    @Test func portMismatchBetweenAppEnvAndUpstream() async throws {
        let host = try AppHost(start: false)
        let database = freePort()
        let upstream = freePort()
        try shell(
            "printf 'PORT=%s\\nHOST=0.0.0.0\\nDATABASE_ADDR=127.0.0.1:%s\\n' \(host.port) \(database) > \(env(host)) && chown \(host.server.user) \(env(host))")
        try host.startSupervisor()
        try host.waitForHTTP()
        try waitForRunning(host)
        var vars = host.vars
        vars["env_path"] = env(host)
        vars["port"] = "\(upstream)"
        vars["database"] = "127.0.0.1:\(database)"

        let (down, _) = try await apply("runbooks/port-mismatch.rb", on: [host.server], vars: [vars])
        #expect(down.outcomes["h0"]?.result == .precheckFailed, "\(message(down))")
        #expect(try read(env(host)).contains("PORT=\(host.port)\n"))

        try host.startDependency(port: database)
        try shell("sed -i 's/^DATABASE_ADDR=.*/DATABASE_ADDR=127.0.0.1:1/' \(env(host))")
        let before = try statBytes(env(host))
        let (unhealthy, _) = try await apply("runbooks/port-mismatch.rb", on: [host.server], vars: [vars])
        #expect(unhealthy.outcomes["h0"]?.result == .rolledBack)
        #expect(message(unhealthy).contains("data.status = unhealthy (expected healthy)"), "\(message(unhealthy))")
        #expect(try statBytes(env(host)) == before)
        try host.waitForHTTP()

        try shell("sed -i 's/^DATABASE_ADDR=.*/DATABASE_ADDR=127.0.0.1:\(database)/' \(env(host))")
        let (fixed, _) = try await apply("runbooks/port-mismatch.rb", on: [host.server], vars: [vars])
        #expect(fixed.exitStatus == 0, "\(message(fixed))")
        #expect(try read(env(host)).contains("PORT=\(upstream)\n"))
    }
}
