import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Many hosts from few sshd processes: each listens on up to 15 loopback ports (sshd's limit is 16
/// listening sockets), one per host (each host is keyed by its port in the store, and has a folder of
/// its own), so 30 hosts cost two servers.
struct PortFleet {
    let servers: [TestSSHServer]
    let ports: [Int]
    let dirs: [String]
    let folder: String
    let inventory: String
    let sshConfig: String

    init(_ count: Int, failing: Set<Int> = [], slow: Set<Int> = []) throws {
        var servers: [TestSSHServer] = []
        var ports: [(port: Int, server: Int)] = []
        var taken: Set<Int> = []
        while ports.count < count {
            var extra: [Int] = []
            while extra.count < min(14, count - ports.count - 1) {
                let port = freePort()
                if taken.insert(port).inserted { extra.append(port) }
            }
            let server = try TestSSHServer(extraConfig: extra.map { "Port \($0)" })
            servers.append(server)
            ports += ([server.port] + extra).map { ($0, servers.count - 1) }
        }
        self.servers = servers
        self.ports = ports.map(\.port)
        dirs = try (0..<count).map { try workFolder("h\($0)") }
        folder = try workFolder("rollout")
        // Kept backups of this fleet's runs in a folder of its own (other tests' hosts share the names).
        try shell("mkdir -p '\(folder)/kept' && chmod 1777 '\(folder)/kept'")
        var hosts = "[fleet]\n"
        var known = ""
        for (index, entry) in ports.enumerated() {
            let server = servers[entry.server]
            let key = try String(contentsOfFile: server.knownHosts, encoding: .utf8).split(separator: " ").dropFirst().joined(separator: " ")
            hosts +=
                "h\(index) ansible_host=127.0.0.1 ansible_port=\(entry.port) ansible_user=\(server.user) ansible_ssh_private_key_file=\(server.clientKey) dir=\(dirs[index]) runbook_lock_dir=\(dirs[index])/locks runbook_backups_dir=\(folder)/kept fail=\(failing.contains(index) ? "yes" : "no") pause=\(slow.contains(index) ? 6 : 1)\n"
            known += "[127.0.0.1]:\(entry.port) \(key)"
            if !key.hasSuffix("\n") { known += "\n" }
            try "v1".write(toFile: "\(dirs[index])/config", atomically: true, encoding: .utf8)
            try shell("chown \(server.user) '\(dirs[index])/config'")
        }
        inventory = "\(folder)/hosts.ini"
        sshConfig = "\(folder)/ssh_config"
        try hosts.write(toFile: inventory, atomically: true, encoding: .utf8)
        try known.write(toFile: "\(folder)/known_hosts", atomically: true, encoding: .utf8)
        try "Host *\n  UserKnownHostsFile \(folder)/known_hosts\n".write(toFile: sshConfig, atomically: true, encoding: .utf8)
    }

    /// The host's files but its locks, with their mode and bytes.
    func snapshot(_ index: Int) -> [String: String] { filesBelow(dirs[index]) }

    func unlocked(_ index: Int) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(dirs[index])/locks")) ?? []).allSatisfy { !$0.hasSuffix(".lock") }
    }
}

/// Issue 16 item 4: one rollout spread over several `runbook worker` processes (each with a HOME of
/// its own, as on other machines), on real sshd hosts and a real PostgreSQL.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WorkerTests {
    let runbook = """
        runbook "spread" do
          param :dir, type: :path, default: "/tmp"
          param :fail, default: "no"
          param :pause, default: "1"
          step :change do
            run "printf v2 > #{dir}/config && touch #{dir}/marker", undo: "printf v1 > #{dir}/config && rm -f #{dir}/marker"
          end
          step :wait, after: :change do
            run "sleep #{pause}"
          end
          step :check, after: :wait do
            run "test #{fail} != yes"
          end
        end
        """

    func environment(_ name: String, _ password: String) throws -> [String: String] {
        controllerEnvironment(home: try workFolder("home-\(name)"), password: password, ttl: "2", heartbeat: "0.5")
    }

    /// A `runbook worker --once` in the background, with a HOME of its own; its output in FOLDER/NAME.out.
    func worker(_ name: String, _ database: (url: String, password: String), in folder: String, forks: Int = 1) throws -> BackgroundProcess {
        try BackgroundProcess(
            [runbookBinary, "worker", "--state", database.url, "--once", "--forks", String(forks), "--name", name], log: "\(folder)/\(name).out",
            output: true, environment: environment(name, database.password))
    }

    /// `runbook apply` of the fleet's book.rb over the store, in the background; its output in apply.out.
    func coordinator(_ fleet: PortFleet, _ database: (url: String, password: String), _ options: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(
            [
                runbookBinary, "apply", "\(fleet.folder)/book.rb", "--hosts", "all", "-i", fleet.inventory, "--ssh-config", fleet.sshConfig, "--state",
                database.url,
            ] + options, log: "\(fleet.folder)/apply.out", output: true, environment: environment("apply", database.password))
    }

    func rows(_ database: String) throws -> [String: (state: String, worker: String, attempts: Int, message: String)] {
        let name = String(database.split(separator: "/").last ?? "")
        let text = try TestPostgres.psql(
            "SELECT host, state, coalesce(worker, ''), attempts, coalesce(message, '') FROM runbook_rollout_hosts ORDER BY position", database: name)
        var result: [String: (String, String, Int, String)] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5 else { continue }
            result[fields[0]] = (fields[1], fields[2], Int(fields[3]) ?? 0, fields[4...].joined(separator: "|"))
        }
        return result
    }

    @Test func threeWorkersOneKilledMidRollout() async throws {
        // Hosts 12 to 17 pause 6 s after their change: a worker is sure to be seen in the middle of one.
        let fleet = try PortFleet(30, failing: [5], slow: Set(12...17))
        try runbook.write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        let before = (0..<30).map(fleet.snapshot)
        let workers = try ["wA", "wB", "wC"].map { name in
            try worker(name, database, in: fleet.folder, forks: 2)
        }
        let apply = try coordinator(fleet, database, ["--workers", "3", "--canary", "1", "--serial", "10", "--max-fail", "5"])
        // The first worker seen running a host it has changed is killed (on a loaded machine any of
        // the three may be the one that got claims first).
        nonisolated(unsafe) var victim: String?
        #expect(
            try await waitUntil(90) {
                victim =
                    ((try? rows(database.url)) ?? [:]).first { host, row in
                        row.state == "claimed" && host != "h0" && fleet.snapshot(Int(host.dropFirst()) ?? 0)["marker"] != nil
                    }?.value.worker
                return victim != nil
            })
        let killed = ["wA", "wB", "wC"].firstIndex(of: victim ?? "wA") ?? 0
        workers[killed].stop(SIGKILL)
        // The rollout holds its hosts' leases: a controller outside it is refused at once.
        let outside = try runProcess(
            [
                runbookBinary, "apply", "\(fleet.folder)/book.rb", "--hosts", "all", "-i", fleet.inventory, "--ssh-config", fleet.sshConfig, "--state",
                database.url,
            ], environment: environment("outside", database.password))
        #expect(outside.status == 2, "\(outside)")
        #expect(outside.stderr.contains("h29 is held by run "), "\(outside.stderr)")
        let status = apply.waitForExit()
        let output = try String(contentsOfFile: "\(fleet.folder)/apply.out", encoding: .utf8)
        for index in workers.indices where index != killed { #expect(workers[index].waitForExit() == 0) }
        let final = try rows(database.url)
        let failed = final.values.filter { $0.state != "passed" }.count
        // h5 fails and is rolled back; wA's hosts are taken over: rolled back, or run again when it never changed them.
        #expect(status == 1, "\(output)")
        #expect(failed >= 1 && failed <= 5, "\(final)")
        #expect(final.values.contains { $0.attempts > 1 }, "\(final)")
        #expect(final["h5"]?.state == "rolled_back")
        for index in 0..<30 {
            let row = try #require(final["h\(index)"])
            #expect(row.state == "passed" || row.state == "rolled_back", "h\(index): \(row)")
            var expected = before[index]
            if row.state == "passed" {
                expected["config"] = expected["config"]?.replacingOccurrences(of: " v1", with: " v2")
                expected["marker"] = "100644 "
            }
            #expect(fleet.snapshot(index) == expected, "h\(index) \(row)")
            #expect(fleet.unlocked(index), "h\(index)")
        }
        #expect(output.contains("worker wA registered") && output.contains("3 worker(s) registered"), "\(output)")
        #expect(output.contains("h5    rolled back"), "\(output)")
        // The rollout is one run in the store: `show` from another HOME lists every host's result.
        let show = try runProcess([runbookBinary, "history", "--state", database.url], environment: environment("other", database.password))
        #expect(show.stdout.contains("exit 1"), "\(show)")
        let runID = try #require(show.stdout.split(separator: " ").first.map(String.init))
        let watched = try runProcess([runbookBinary, "watch", runID, "--state", database.url], environment: environment("other", database.password))
        #expect(watched.status == 1, "\(watched)")
        // Events are committed after the records: the killed worker's last ones may be lost, never a live worker's.
        for index in 0..<30 where final["h\(index)"]?.state == "passed" {
            #expect(watched.stdout.contains("h\(index)  ✓ check"), "\(watched.stdout)")
        }
        let leases = try runProcess([runbookBinary, "leases", "--state", database.url], environment: environment("other", database.password))
        #expect(leases.stdout.contains("no host is leased"), "\(leases)")
    }

    @Test func theBudgetStopsClaims() async throws {
        let fleet = try PortFleet(6, failing: [0, 1])
        try runbook.replacingOccurrences(of: "sleep 1", with: "true").write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        let workers = try ["wA", "wB"].map { name in
            try worker(name, database, in: fleet.folder)
        }
        let result = try runProcess(
            [
                runbookBinary, "apply", "\(fleet.folder)/book.rb", "--hosts", "all", "-i", fleet.inventory, "--ssh-config", fleet.sshConfig, "--state",
                database.url, "--workers", "2", "--serial", "2", "--max-fail", "1",
            ], environment: environment("apply", database.password))
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("max_fail 1 exceeded: 2 of 2 hosts failed"), "\(result.stdout)")
        for worker in workers { #expect(worker.waitForExit() == 0) }
        let final = try rows(database.url)
        #expect(final["h0"]?.state == "rolled_back" && final["h1"]?.state == "rolled_back", "\(final)")
        for index in 2..<6 {
            #expect(final["h\(index)"]?.state == "pending", "\(final)")
            #expect(fleet.snapshot(index)["marker"] == nil)
        }
    }

    @Test func aDeadCoordinatorStopsNewClaims() async throws {
        let fleet = try PortFleet(4)
        try runbook.write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        let worker = try self.worker("wA", database, in: fleet.folder)
        let apply = try coordinator(fleet, database, ["--workers", "1", "--serial", "1"])
        #expect(try await waitUntil(60) { fleet.snapshot(0)["marker"] != nil })
        apply.stop(SIGKILL)
        // The host in flight finishes; after the leases' TTL no new host starts, and the worker is done.
        #expect(worker.waitForExit() == 0)
        let final = try rows(database.url)
        #expect(final["h0"]?.state == "passed", "\(final)")
        #expect(final["h3"]?.state == "pending", "\(final)")
        #expect(fleet.snapshot(3)["marker"] == nil)
        let name = String(database.url.split(separator: "/").last ?? "")
        #expect(try TestPostgres.psql("SELECT stopped_by FROM runbook_rollouts", database: name) == "its coordinator stopped renewing the leases")
        // The rollout is a run like any other: its left hosts are repaired from anywhere.
        let other = try environment("other", database.password)
        let runID = try TestPostgres.psql("SELECT rollout_id FROM runbook_rollouts", database: name)
        #expect(try runProcess([runbookBinary, "leases", "--state", database.url], environment: other).stdout.contains("left by run \(runID)"))
        // The hosts left are rolled back; a passed host is put back too (a passed run can be rolled back).
        let rest = final.filter { $0.value.state != "passed" }.keys.sorted().joined(separator: ",")
        let repaired = try runProcess([runbookBinary, "rollback", runID, "--hosts", rest, "--state", database.url], environment: other)
        #expect(repaired.status == 0, "\(repaired)")
        let passed = try runProcess([runbookBinary, "rollback", runID, "--state", database.url], environment: other)
        #expect(passed.status == 0, "\(passed)")
        #expect(fleet.snapshot(0)["marker"] == nil)
    }

    /// A worker paused past the TTL (SIGSTOP) whose host another worker took over and rolled back
    /// sends nothing more once resumed: its claim is fenced before every command.
    @Test func aResumedWorkerSendsNothingToAHostTakenOver() async throws {
        let fleet = try PortFleet(1, slow: [0])
        // `late` has an undo, so it is an exec of its own (a command in flight, or a chain of plain
        // ones, runs to its end on the host whatever its controller does).
        let late = "  step :late, after: :wait do\n    run \"touch #{dir}/late\", undo: \"rm -f #{dir}/late\"\n  end\n"
        let book = runbook.replacingOccurrences(of: "  step :check, after: :wait do", with: late + "  step :check, after: :late do")
        try book.write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        let before = fleet.snapshot(0)
        let first = try worker("w1", database, in: fleet.folder)
        let apply = try coordinator(fleet, database, ["--workers", "1"])
        // w1 is paused in the host's 6 s pause, after its change.
        #expect(try await waitUntil(60) { fleet.snapshot(0)["marker"] != nil })
        first.signal(SIGSTOP)
        let second = try worker("w2", database, in: fleet.folder)
        #expect(try await waitUntil(60) { (try? rows(database.url))?["h0"]?.state == "rolled_back" })
        // The pause on the host is over by now: resumed, w1 would send the next step.
        try await Task.sleep(for: .seconds(6))
        first.signal(SIGCONT)
        _ = first.waitForExit()
        _ = second.waitForExit()
        _ = apply.waitForExit()
        let w1 = (try? String(contentsOfFile: "\(fleet.folder)/w1.out", encoding: .utf8)) ?? ""
        #expect(fleet.snapshot(0)["late"] == nil, "\(w1)")
        #expect(fleet.snapshot(0) == before, "\(w1)")
        #expect(try rows(database.url)["h0"]?.state == "rolled_back")
    }

    /// A worker killed after its host's steps, while verifying it: another worker finishes the host
    /// (verifies it, keeps its backups, releases its lock) instead of rolling it back.
    @Test func aHostWhoseStepsWereDoneIsFinishedByAnotherWorker() async throws {
        let fleet = try PortFleet(1)
        let book = """
            runbook "finish" do
              param :dir, type: :path, default: "/tmp"
              step :change do
                run "printf v2 > #{dir}/config && touch #{dir}/marker", undo: "printf v1 > #{dir}/config && rm -f #{dir}/marker"
              end
              verify within: "30s" do
                file "#{dir}/ready", exists: true
              end
            end
            """
        try book.write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        let first = try worker("w1", database, in: fleet.folder)
        let apply = try coordinator(fleet, database, ["--workers", "1"])
        #expect(try await waitUntil(60) { fleet.snapshot(0)["marker"] != nil })
        // Its step's events are stored with the next batch of records: give them a moment, then kill w1 mid-verification.
        try await Task.sleep(for: .seconds(2))
        first.stop(SIGKILL)
        try shell("touch \(fleet.dirs[0])/ready && chmod 666 \(fleet.dirs[0])/ready")
        let second = try worker("w2", database, in: fleet.folder)
        let status = apply.waitForExit()
        _ = second.waitForExit()
        let output = (try? String(contentsOfFile: "\(fleet.folder)/apply.out", encoding: .utf8)) ?? ""
        let w2 = (try? String(contentsOfFile: "\(fleet.folder)/w2.out", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(output)\n\(w2)")
        let row = try #require(try rows(database.url)["h0"])
        #expect(row.state == "passed", "\(row)")
        #expect(row.message.contains("finished by worker w2"), "\(row)")
        #expect(fleet.snapshot(0)["marker"] != nil)
        #expect(fleet.snapshot(0)["config"] == "100644 v2" || fleet.snapshot(0)["config"]?.hasSuffix(" v2") == true)
        #expect(fleet.unlocked(0))
    }

    @Test func sigtermEndsAnIdleWorker() async throws {
        let database = try TestPostgres.database()
        let folder = try workFolder("idle")
        let worker = try BackgroundProcess(
            [runbookBinary, "worker", "--state", database.url, "--name", "idle"], log: "\(folder)/worker.out", output: true,
            environment: environment("idle", database.password))
        #expect(
            try await waitUntil(60) {
                ((try? String(contentsOfFile: "\(folder)/worker.out", encoding: .utf8)) ?? "").contains("waiting for rollouts")
            })
        worker.signal(SIGTERM)
        #expect(worker.waitForExit() == 0)
    }

    @Test func aWorkerRefusesAPlanItWouldNotSendAlike() async throws {
        let fleet = try PortFleet(2)
        try runbook.write(toFile: "\(fleet.folder)/book.rb", atomically: true, encoding: .utf8)
        let database = try TestPostgres.database()
        // A saved plan (`plan -o`) goes to workers as it is.
        let planned = try runProcess(
            [
                runbookBinary, "plan", "\(fleet.folder)/book.rb", "--hosts", "all", "-i", fleet.inventory, "--ssh-config", fleet.sshConfig, "-o",
                "\(fleet.folder)/plan.json",
            ], environment: environment("apply", database.password))
        #expect(planned.status == 0, "\(planned)")
        let apply = try BackgroundProcess(
            [runbookBinary, "apply", "\(fleet.folder)/plan.json", "--state", database.url, "--workers", "1"], log: "\(fleet.folder)/apply.out",
            output: true, environment: environment("apply", database.password))
        #expect(
            try await waitUntil(60) {
                (try? TestPostgres.psql("SELECT count(*) FROM runbook_rollouts", database: String(database.url.split(separator: "/").last ?? ""))) == "1"
            })
        // This worker's known_hosts trusts another key for the hosts: its digests differ.
        try "[127.0.0.1]:\(fleet.ports[0]) ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5z4yZ1bI6b5mL2w9RpyjvW0gJq4y8lQY2x9Yf0x1aB\n".write(
            toFile: "\(fleet.folder)/known_hosts", atomically: true, encoding: .utf8)
        let refused = try runProcess(
            [runbookBinary, "worker", "--state", database.url, "--once", "--name", "wX"], environment: environment("x", database.password))
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("h0: the host keys known_hosts trusts for it changed"), "\(refused.stderr)")
        apply.stop(SIGINT)
        _ = apply.waitForExit()
        let output = try String(contentsOfFile: "\(fleet.folder)/apply.out", encoding: .utf8)
        #expect(output.contains("worker wX refused the plan"), "\(output)")
        #expect(fleet.snapshot(0)["marker"] == nil)
    }
}

/// `rollback: fleet` over workers: passed hosts keep what they moved aside until the rollout's fate is
/// known, then every one is rolled back with the fleet (a stopped rollout) or cleaned up.
@Suite(.serialized, .timeLimit(.minutes(2))) struct FleetWorkerTests {
    func runbook(_ folder: String) throws -> String {
        try "v2\n".write(toFile: "\(folder)/new-config", atomically: true, encoding: .utf8)
        let text = """
            runbook "fleet" do
              param :dir, type: :path, default: "/tmp"
              param :fail, default: "no"
              step :change do
                upload "\(folder)/new-config", to: "#{dir}/config"
              end
              step :check, after: :change do
                run "test #{fail} != yes"
              end
            end
            """
        try text.write(toFile: "\(folder)/book.rb", atomically: true, encoding: .utf8)
        return "\(folder)/book.rb"
    }

    func rollout(_ fleet: PortFleet, book: String, database: (url: String, password: String)) throws -> ProcessOutput {
        let tests = WorkerTests()
        let workers = try ["wA", "wB"].map { name in
            try tests.worker(name, database, in: fleet.folder)
        }
        let result = try runProcess(
            [
                runbookBinary, "apply", book, "--hosts", "all", "-i", fleet.inventory, "--ssh-config", fleet.sshConfig, "--state", database.url,
                "--workers", "2", "--serial", "2", "--max-fail", "0", "--rollback", "fleet",
            ], environment: tests.environment("apply", database.password))
        try (result.stdout + result.stderr).write(toFile: "\(fleet.folder)/apply.out", atomically: true, encoding: .utf8)
        for worker in workers { #expect(worker.waitForExit() == 0) }
        return result
    }

    @Test func aStoppedRolloutRollsEveryPassedHostBack() async throws {
        let fleet = try PortFleet(6, failing: [3])
        let book = try runbook(fleet.folder)
        let before = (0..<6).map(fleet.snapshot)
        let database = try TestPostgres.database()
        let result = try rollout(fleet, book: book, database: database)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("rolling back every passed host with the fleet (max_fail 0 exceeded: 1 of 4 hosts failed)"), "\(result.stdout)")
        let rows = try WorkerTests().rows(database.url)
        for index in 0..<4 { #expect(rows["h\(index)"]?.state == "rolled_back", "\(rows)") }
        #expect(rows["h0"]?.message.contains("rolled back with the fleet") == true, "\(rows)")
        for index in 4..<6 { #expect(rows["h\(index)"]?.state == "pending", "\(rows)") }
        for index in 0..<6 {
            #expect(fleet.snapshot(index) == before[index], "h\(index)")
            #expect(fleet.unlocked(index))
        }
    }

    @Test func aPassedRolloutKeepsWhatItMovedAsideForItsRollback() async throws {
        let fleet = try PortFleet(4)
        let book = try runbook(fleet.folder)
        let database = try TestPostgres.database()
        let result = try rollout(fleet, book: book, database: database)
        #expect(result.status == 0, "\(result)")
        for index in 0..<4 {
            let files = fleet.snapshot(index)
            // runbook_keep_backups (default 2): the backup stays until a later run prunes it.
            #expect(files.keys.sorted().first == "config" && files.count == 2, "h\(index): \(files)")
            #expect(files.keys.contains { $0.hasPrefix("config.runbook-") }, "h\(index): \(files)")
            #expect(files["config"]?.hasSuffix(" v2\n") == true, "h\(index): \(files)")
            #expect(fleet.unlocked(index))
        }
    }
}
