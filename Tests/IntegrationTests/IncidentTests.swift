import Execution
import Foundation
import TestSupport
import Testing

/// The incidents of ../shared/incidents reproduced on real processes: sshd, supervisord from Debian,
/// and the sample app (Tests/Fixtures/app) on a real port.
@Suite(.serialized, .timeLimit(.minutes(3))) struct IncidentTests {
    /// Incident 000/003: an old process holds the port and the supervised app crash-loops on
    /// EADDRINUSE. recover.rb frees the port, starts the app, and `restarts max: 0` holds afterwards.
    @Test func anOldProcessHoldingThePortIsFreedAndTheCrashLoopEnds() async throws {
        let host = try AppHost(start: false)
        try host.startStray()
        try host.startSupervisor()
        let stray = try #require(host.strayPIDs.first)
        // The loop is real: supervisord keeps restarting the app, which keeps dying on EADDRINUSE.
        try await Task.sleep(for: .seconds(2.5))
        #expect(try String(contentsOfFile: "\(host.dir)/logs/app.log", encoding: .utf8).contains("EADDRINUSE"))
        let (summary, log) = try await apply("runbooks/recover.rb", on: [host.server], vars: [host.vars])
        #expect(summary.exitStatus == 0, "\(summary.outcomes)")
        #expect(!isRunning(stray), "the old process still runs")
        let freed = log.all.contains { event in
            if case .output(let step, _, let text) = event.kind { return step == "free_port" && text.contains("sent TERM to pid \(stray)") }
            return false
        }
        #expect(freed, "free_port did not report the process it stopped")
        #expect(host.supervisorctl("status shop").contains("RUNNING"))
        #expect(host.get()?.status == 200)
        let restarts = log.all.compactMap { event -> String? in
            if case .assertion(_, let description, let holds, _, let found) = event.kind, description.hasPrefix("restarts") {
                return holds ? found : nil
            }
            return nil
        }
        #expect(restarts.first?.hasPrefix("0 restarts over 10s") == true)
    }

    /// Incident 000: the server listens on IPv6 only while nginx talks IPv4. The check names the [::]
    /// socket, and the host is rolled back to how it was.
    @Test func anIPv6OnlyServerFailsTheIPv4CheckAndIsRolledBack() async throws {
        let host = try AppHost(bind: "::")
        try host.waitForHTTPOnIPv6()
        let (summary, log) = try await apply(
            """
            param :app, default: "shop"
            param :port, type: :port, default: 3002
            param :dir, type: :path, default: "/srv/shop"
            supervisor :supervisord
            step :restart do
              stop app
              start app
            end
            verify after: :restart, within: "3s" do
              listening port, address: "0.0.0.0"
            end
            """, on: [host.server], vars: [host.vars])
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["h0"]?.result == .rolledBack)
        let message = summary.outcomes["h0"]?.message ?? ""
        #expect(message.contains("listening 0.0.0.0:\(host.port): found only [::]:\(host.port)"), "\(message)")
        #expect(log.undos() == ["restart", "restart"])
        #expect(host.supervisorctl("status shop").contains("RUNNING"))
    }

    /// Incident 001: a stale .next cache. clean_cache and a rebuild; the rebuilt app fails its health
    /// check, so the old cache is put back and the old app serves again.
    @Test func aFailedRebuildPutsTheOldCacheBackAndTheOldAppServes() async throws {
        let host = try AppHost(version: "1.0.0")
        try host.waitForHTTP()
        #expect(host.get()?.body == "ok 1.0.0")
        // The new source builds an app whose health check fails.
        try shell("echo 2.0.0 > \(host.dir)/src/version && echo 500 > \(host.dir)/src/health")
        let (summary, _) = try await apply(
            """
            param :app, default: "shop"
            param :port, type: :port, default: 3002
            param :dir, type: :path, default: "/srv/shop"
            param :build, type: :shell, default: "npm run build"
            supervisor :supervisord
            step :stop do
              stop app
            end
            step :clean_cache, after: :stop do
              clean_cache "#{dir}/.next"
            end
            step :rebuild, after: :clean_cache do
              run build, cwd: dir
            end
            step :start, after: :rebuild do
              start app
            end
            verify after: :start, within: "3s" do
              http "http://127.0.0.1:#{port}/api/health", status: 200
            end
            """, on: [host.server], vars: [host.vars])
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["h0"]?.result == .rolledBack)
        #expect(summary.outcomes["h0"]?.message?.contains("status 500") == true)
        #expect(try String(contentsOfFile: "\(host.dir)/.next/build.json", encoding: .utf8).contains("1.0.0"))
        try host.waitForHTTP()
        #expect(host.get()?.body == "ok 1.0.0")
        #expect(try shell("ls -A \(host.dir) | grep -c runbook || true").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    /// Incident 004: a health endpoint answering 500 after a release switch: the http assertion fails,
    /// the symlink goes back, and the rollback block restarts the old release.
    @Test func aHealthCheckAnswering500UndoesTheReleaseSwitch() async throws {
        let host = try AppHost(start: false)
        try shell(
            """
            cd \(host.dir) && mkdir -p releases && cp -r src releases/old-src && \
            for r in old new; do mkdir -p releases/$r/src && cp server.py build.sh .env.production releases/$r/; done && \
            echo 1.0.0 > releases/old/src/version && echo 200 > releases/old/src/health && \
            echo 2.0.0 > releases/new/src/version && echo 500 > releases/new/src/health && \
            sh releases/old/build.sh && sh releases/new/build.sh && ln -s \(host.dir)/releases/old current && \
            sed -i 's|command=python3 .*|command=python3 \(host.dir)/current/server.py|' supervisord.conf && chown -R \(host.server.user) .
            """)
        try host.startSupervisor()
        try host.waitForHTTP()
        #expect(host.get()?.body == "ok 1.0.0")
        let (summary, _) = try await apply(
            """
            param :app, default: "shop"
            param :port, type: :port, default: 3002
            param :dir, type: :path, default: "/srv/shop"
            supervisor :supervisord
            step :switch do
              symlink "#{dir}/current", to: "#{dir}/releases/new"
            end
            step :restart, after: :switch do
              restart app
            end
            verify after: :restart, within: "3s" do
              http "http://127.0.0.1:#{port}/health", status: 200, contains: "ok"
            end
            rollback do
              restart app
            end
            """, on: [host.server], vars: [host.vars])
        #expect(summary.exitStatus == 1)
        #expect(summary.outcomes["h0"]?.result == .rolledBack)
        #expect(try shell("readlink \(host.dir)/current").trimmingCharacters(in: .whitespacesAndNewlines) == "\(host.dir)/releases/old")
        try host.waitForHTTP()
        #expect(host.get()?.body == "ok 1.0.0")
    }
}

extension AppHost {
    func waitForHTTPOnIPv6() throws {
        for _ in 0..<100 {
            if (try? shell("curl -s -m 1 -g http://[::1]:\(port)/api/health")) != nil { return }
            usleep(100_000)
        }
        throw TestSetupError(message: "the app did not answer on [::1]:\(port)")
    }
}
