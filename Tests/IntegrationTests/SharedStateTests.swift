import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two controllers (two HOMEs, as two machines would have) sharing one PostgreSQL store, on three
/// real sshd hosts: leases, a controller SIGKILLed mid-run, its run rolled back from the other one.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SharedStateTests {
    let runbook = """
        runbook "shared" do
          param :dir, type: :path, default: "/tmp"
          step :change do
            run "printf v2 > #{dir}/config && touch #{dir}/marker", undo: "printf v1 > #{dir}/config && rm -f #{dir}/marker"
          end
          step :wait, after: :change do
            run "sleep #{ENV_SLEEP}"
          end
        end
        """

    func snapshot(_ dir: String) -> [String: String] { filesBelow(dir) }

    struct Controller {
        var home: String
        var environment: [String: String]
    }

    func controller(_ name: String, database: (url: String, password: String)) throws -> Controller {
        let home = try workFolder("home-\(name)")
        // A TTL of a few seconds: on a loaded 2-core machine a heartbeat thread may wait its turn.
        let environment = controllerEnvironment(home: home, password: database.password, ttl: "5", heartbeat: "1")
        return Controller(home: home, environment: environment)
    }

    func run(_ arguments: [String], as controller: Controller) throws -> ProcessOutput {
        try runProcess(arguments, environment: controller.environment)
    }

    @Test func leaseRefusalSigkillAndRollbackFromAnotherController() async throws {
        let fleet = try Fleet(3)
        for (dir, server) in zip(fleet.dirs, fleet.servers) {
            try "v1".write(toFile: "\(dir)/config", atomically: true, encoding: .utf8)
            try shell("chown \(server.user) '\(dir)/config'")
        }
        let before = fleet.dirs.map(snapshot)
        let files = try FleetFiles(fleet, runbook: runbook.replacingOccurrences(of: "#{ENV_SLEEP}", with: "30"))
        let database = try TestPostgres.database()
        let state = ["--state", database.url]
        let first = try controller("a", database: database)
        let second = try controller("b", database: database)

        let running = try BackgroundProcess(files.arguments + state, log: "\(files.folder)/first.out", output: true, environment: first.environment)
        #expect(try await waitUntil(90) { (0..<3).allSatisfy(fleet.touched) })

        // The second controller sees the run, and is refused at once without touching a host.
        let history = try run([runbookBinary, "history", "--state", database.url], as: second)
        let runID = try #require(history.stdout.split(separator: " ").first.map(String.init), "\(history)")
        let started = Date()
        let refused = try run(files.arguments + state, as: second)
        #expect(refused.status == 2, "\(refused)")
        #expect(Date().timeIntervalSince(started) < 5)
        for index in 0..<3 { #expect(refused.stderr.contains("h\(index) is held by run \(runID) (controller "), "\(refused.stderr)") }
        #expect(refused.stderr.contains(", since 20"))
        #expect(!refused.stdout.contains("batch"))

        // SIGKILL: the leases expire and say which run left the hosts.
        running.stop(SIGKILL)
        #expect(
            try await waitUntil(20) {
                ((try? run([runbookBinary, "leases", "--state", database.url], as: second).stdout) ?? "").components(
                    separatedBy: "left by run \(runID), needs rollback"
                ).count == 4
            })
        let again = try run(files.arguments + state, as: second)
        #expect(again.status == 2)
        #expect(again.stderr.contains("h0 was left by run \(runID)"), "\(again.stderr)")
        #expect(again.stderr.contains("needs rollback"))

        // The other controller shows and rolls back the run it never ran.
        let show = try run([runbookBinary, "show", String(runID.prefix(15)), "--state", database.url], as: second)
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("run \(runID)"))
        let rollback = try run([runbookBinary, "rollback", runID, "--state", database.url, "--accept-new-host-keys"], as: second)
        #expect(rollback.status == 0, "\(rollback.stdout)\(rollback.stderr)")
        #expect(fleet.dirs.map(snapshot) == before)
        let leases = try run([runbookBinary, "leases", "--state", database.url], as: second)
        #expect(leases.stdout.contains("no host is leased"), "\(leases.stdout)")
        // Now the hosts are free for the second controller.
        let free = try run(
            FleetFiles(fleet, runbook: runbook.replacingOccurrences(of: "#{ENV_SLEEP}", with: "0")).arguments + state, as: second)
        #expect(free.status == 0, "\(free.stdout)\(free.stderr)")
    }

    @Test func watchFollowsARunFromAnotherController() async throws {
        let fleet = try Fleet(3)
        let files = try FleetFiles(fleet, runbook: runbook.replacingOccurrences(of: "#{ENV_SLEEP}", with: "2"))
        let database = try TestPostgres.database()
        let first = try controller("a", database: database)
        let second = try controller("b", database: database)
        let running = try BackgroundProcess(
            files.arguments + ["--state", database.url], log: "\(files.folder)/first.out", output: true, environment: first.environment)
        var runID = ""
        #expect(
            try await waitUntil(90) {
                runID =
                    ((try? run([runbookBinary, "history", "--state", database.url], as: second).stdout) ?? "").split(separator: " ").first.map(String.init)
                    ?? ""
                return runID.count > 10 && !runID.hasPrefix("no")
            })
        let watched = try run([runbookBinary, "watch", runID, "--state", database.url], as: second)
        #expect(running.waitForExit() == 0)
        #expect(watched.status == 0, "\(watched)")
        for index in 0..<3 { #expect(watched.stdout.contains("h\(index)  ✓ wait"), "\(watched.stdout)") }
        // RUNBOOK_STATE names the store when no flag does; --journal wins over it.
        var fromEnvironment = second
        fromEnvironment.environment["RUNBOOK_STATE"] = database.url
        #expect(try run([runbookBinary, "history"], as: fromEnvironment).stdout.contains(runID))
        #expect(!(try run([runbookBinary, "history", "--journal", "\(second.home)/journal"], as: fromEnvironment).stdout.contains(runID)))
        let ambiguous = try run([runbookBinary, "history", "--state", database.url, "--journal", "/tmp"], as: second)
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("--journal and --state"))
    }
}

extension SharedStateTests {
    /// `unlock --force --state` removes a live run's lease; the run notices at its next heartbeat,
    /// starts no new change and rolls back (the fencing a lease gives).
    @Test func aRemovedLeaseStopsItsRun() async throws {
        let fleet = try Fleet(2)
        let files = try FleetFiles(fleet, runbook: runbook.replacingOccurrences(of: "#{ENV_SLEEP}", with: "8"))
        let database = try TestPostgres.database()
        let first = try controller("a", database: database)
        let second = try controller("b", database: database)
        let running = try BackgroundProcess(
            files.arguments + ["--state", database.url], log: "\(files.folder)/first.out", output: true, environment: first.environment)
        #expect(try await waitUntil(90) { (0..<2).allSatisfy(fleet.touched) })
        let hostArguments = ["--hosts", "h0", "-i", "\(files.folder)/hosts.ini", "--ssh-config", "\(files.folder)/ssh_config", "--state", database.url]
        let kept = try run([runbookBinary, "unlock"] + hostArguments, as: second)
        #expect(kept.stdout.contains("h0 is held by run "), "\(kept)")
        #expect(kept.stdout.contains("(kept: `--force` removes it)"))
        let removed = try run([runbookBinary, "unlock", "--force"] + hostArguments, as: second)
        #expect(removed.stdout.contains("h0: lease removed (held by run "), "\(removed)")
        let status = running.waitForExit()
        let output = try String(contentsOfFile: "\(files.folder)/first.out", encoding: .utf8)
        #expect(status == 1, "\(output)")
        #expect(output.contains("the lease on ") && output.contains("was lost"), "\(output)")
        #expect(!(0..<2).contains(where: fleet.touched), "\(output)")
    }
}

/// The store goes away mid-run: a short outage is retried and the run ends as if nothing happened;
/// a longer one than the bound stops new changes and rolls the hosts back.
@Suite(.serialized, .timeLimit(.minutes(3))) struct StoreOutageTests {
    let runbook = """
        runbook "outage" do
          param :dir, type: :path, default: "/tmp"
          step :first do
            run "touch #{dir}/first", undo: "rm -f #{dir}/first"
          end
          step :wait, after: :first do
            run "sleep 6"
          end
          step :last, after: :wait do
            run "touch #{dir}/last", undo: "rm -f #{dir}/last"
          end
        end
        """

    func environment(_ password: String) throws -> [String: String] {
        controllerEnvironment(home: try workFolder("home"), password: password, ttl: "6", heartbeat: "0.5", retry: nil)
    }

    /// Refuses new connections to the database and ends the open ones, for `seconds`.
    func outage(_ url: String, seconds: Double) throws {
        let name = String(url.split(separator: "/").last ?? "")
        try TestPostgres.psql("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        try TestPostgres.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(name)'")
        Thread.sleep(forTimeInterval: seconds)
        try TestPostgres.psql("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
    }

    func started(_ fleet: Fleet) async throws -> Bool {
        // A loaded machine (the whole suite in parallel) can take long to start the binary and connect.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if fleet.dirs.allSatisfy({ FileManager.default.fileExists(atPath: "\($0)/first") }) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aShortOutageIsRetried() async throws {
        let fleet = try Fleet(2)
        let files = try FleetFiles(fleet, runbook: runbook)
        let database = try TestPostgres.database()
        var environment = try environment(database.password)
        environment["RUNBOOK_STATE_RETRY"] = "8"
        let run = try BackgroundProcess(
            files.arguments + ["--state", database.url], log: "\(files.folder)/run.out", output: true, environment: environment)
        #expect(try await started(fleet))
        try outage(database.url, seconds: 1.5)
        let status = run.waitForExit()
        let output = try String(contentsOfFile: "\(files.folder)/run.out", encoding: .utf8)
        #expect(status == 0, "\(output)")
        #expect(fleet.dirs.allSatisfy { FileManager.default.fileExists(atPath: "\($0)/last") })
        let show = try runProcess([runbookBinary, "history", "--state", database.url], environment: environment)
        #expect(show.stdout.contains("exit 0"), "\(show)")
    }

    @Test func anOutagePastTheBoundStopsNewChanges() async throws {
        let fleet = try Fleet(2)
        let files = try FleetFiles(fleet, runbook: runbook)
        let database = try TestPostgres.database()
        var environment = try environment(database.password)
        environment["RUNBOOK_STATE_RETRY"] = "1"
        let run = try BackgroundProcess(
            files.arguments + ["--state", database.url], log: "\(files.folder)/run.out", output: true, environment: environment)
        #expect(try await started(fleet))
        try outage(database.url, seconds: 6)
        let status = run.waitForExit()
        let output = try String(contentsOfFile: "\(files.folder)/run.out", encoding: .utf8)
        #expect(status == 1, "\(output)")
        #expect(output.contains("state store"), "\(output)")
        #expect(fleet.dirs.allSatisfy { !FileManager.default.fileExists(atPath: "\($0)/last") })
        #expect(fleet.dirs.allSatisfy { !FileManager.default.fileExists(atPath: "\($0)/first") }, "\(output)")
    }
}
