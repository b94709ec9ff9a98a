import Foundation
import RunbookModel
import Testing
import Wire

@testable import Supervisors

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/real-outputs")

private func fixture(_ name: String) throws -> String {
    try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
}

@Suite struct PM2AdapterTests {
    let pm2 = PM2Adapter(command: "pm2")

    @Test func readsARealForkModeJlist() throws {
        let status = try pm2.parseStatus(try fixture("pm2-jlist-sendqueue-fork-online.json"), exitStatus: 0, app: "tinybot")
        #expect(status == ProcessStatus(state: .running, pid: 1_876_579, restarts: 1, detail: "online"))
    }

    @Test func readsARealClusterModeJlist() throws {
        let status = try pm2.parseStatus(try fixture("pm2-jlist-wibusvr-nextjs-cluster.json"), exitStatus: 0, app: "ninox-fox_3011")
        #expect(status.state == .running)
        #expect(status.pid == 1_698_183)
        #expect(status.restarts == 0)
    }

    @Test func toleratesBannersBeforeTheJSON() throws {
        let banner = """
            [PM2] Spawning PM2 daemon with pm2_home=/home/app/.pm2
            >>>> In-memory PM2 is out-of-date, do:
            >>>> $ pm2 update
            In memory PM2 version: 5.3.0
            Local PM2 version: 5.4.2

            """
        let output = banner + (try fixture("pm2-jlist-sendqueue-fork-online.json"))
        #expect(try pm2.parseStatus(output, exitStatus: 0, app: "tinybot").restarts == 1)
    }

    @Test func statusesMapToStates() throws {
        for (word, state) in [("stopped", ProcessStatus.State.stopped), ("errored", .failed), ("waiting restart", .starting), ("launching", .starting)] {
            let json = "[{\"name\":\"a\",\"pid\":0,\"pm2_env\":{\"status\":\"\(word)\",\"restart_time\":7}}]"
            let status = try pm2.parseStatus(json, exitStatus: 0, app: "a")
            #expect(status.state == state)
            #expect(status.pid == nil)
            #expect(status.restarts == 7)
        }
    }

    @Test func anAppNotInTheListIsStopped() throws {
        #expect(try pm2.parseStatus("[]", exitStatus: 0, app: "gone").state == .stopped)
    }

    @Test func noJSONIsAnError() {
        #expect(throws: SupervisorOutputError("`pm2 jlist` printed no JSON process list")) {
            _ = try pm2.parseStatus("[PM2] daemon not running", exitStatus: 1, app: "a")
        }
    }

    @Test func commands() {
        #expect(pm2.start("ecosystem.config.js", name: "shop") == "pm2 start ecosystem.config.js --only shop")
        #expect(pm2.start("server.js", name: "my app") == "pm2 start server.js --name 'my app'")
        #expect(pm2.start("shop", name: nil) == "pm2 start shop")
        #expect(pm2.stop("shop; rm -rf /") == "pm2 stop 'shop; rm -rf /'")
        #expect(PM2Adapter(command: "PM2_HOME=/srv/.pm2 pm2").save() == "PM2_HOME=/srv/.pm2 pm2 save")
    }
}

@Suite struct SystemdAdapterTests {
    let systemd = SystemdAdapter(command: "systemctl")

    @Test func readsARealFailedUnitWithFiveRestarts() throws {
        // The stored copy is cut before ActiveState; the counter and pid are still read.
        let status = try systemd.parseStatus(try fixture("systemctl-show-ssh-failed-NRestarts5.txt"), exitStatus: 0, app: "ssh")
        #expect(status.state == .unknown)
        #expect(status.pid == nil)
        #expect(status.restarts == 5)
        let complete = try systemd.parseStatus(
            try fixture("systemctl-show-ssh-failed-NRestarts5.txt") + "\nActiveState=failed\nSubState=failed\n", exitStatus: 0, app: "ssh")
        #expect(complete.state == .failed)
    }

    @Test func outputWithoutAnyPropertyIsAnError() {
        #expect(throws: SupervisorOutputError("`systemctl show` printed none of ActiveState, MainPID, NRestarts for x")) {
            _ = try systemd.parseStatus("Failed to connect to bus", exitStatus: 1, app: "x")
        }
    }

    @Test func propertiesAreReadByNameNotPosition() throws {
        let status = try systemd.parseStatus("NRestarts=2\nMainPID=4121\nSubState=running\nActiveState=active\n", exitStatus: 0, app: "shop")
        #expect(status == ProcessStatus(state: .running, pid: 4121, restarts: 2, detail: "active/running"))
    }

    @Test func placeholdersAreNoValue() throws {
        let status = try systemd.parseStatus("ActiveState=inactive\nMainPID=0\nNRestarts=[not set]\n", exitStatus: 0, app: "x")
        #expect(status.restarts == nil && status.pid == nil && status.state == .stopped)
    }
}

@Suite struct DockerAdapterTests {
    @Test func readsARealInspect() throws {
        let status = try DockerAdapter(command: "docker").parseStatus(
            try fixture("docker-inspect-firstcontainer-running.json"), exitStatus: 0, app: "first")
        #expect(status == ProcessStatus(state: .running, pid: 958, restarts: 0, detail: "running"))
    }
}

@Suite struct SupervisordAdapterTests {
    let adapter = SupervisordAdapter(command: "supervisorctl -c /etc/app.conf")

    @Test(arguments: [
        ("shop                             RUNNING   pid 4121, uptime 0:01:02", ProcessStatus.State.running, Int?(4121)),
        ("shop                             STOPPED   Nov 24 06:00 AM", .stopped, nil),
        ("shop                             BACKOFF   Exited too quickly (process log may have details)", .starting, nil),
        ("shop                             FATAL     Exited too quickly", .failed, nil),
        ("shop                             STARTING", .starting, nil),
    ])
    func readsStatusLines(line: String, state: ProcessStatus.State, pid: Int?) throws {
        let status = try adapter.parseStatus(line + "\n", exitStatus: 0, app: "shop")
        #expect(status.state == state)
        #expect(status.pid == pid)
        #expect(status.restarts == nil)
    }

    @Test func commandsUseTheConfiguredCommand() {
        #expect(adapter.restart("shop") == "supervisorctl -c /etc/app.conf restart shop")
        #expect(adapter.save() == nil)
    }
}

/// reload, remove, restore and logs of every adapter; pm2's entry script runs with node over real jlists.
@Suite struct SupervisorVocabularyTests {
    @Test func reloadCommands() {
        #expect(PM2Adapter(command: "pm2").reload("shop", signal: nil) == "pm2 reload shop --update-env")
        #expect(PM2Adapter(command: "pm2").reload("shop", signal: "HUP") == "pm2 sendSignal SIGHUP shop")
        #expect(SystemdAdapter(command: "systemctl").reload("shop", signal: nil) == "systemctl reload-or-restart shop")
        #expect(SupervisordAdapter(command: "supervisorctl").reload("shop", signal: nil) == "supervisorctl reread && supervisorctl update shop")
        #expect(SupervisordAdapter(command: "supervisorctl").reload("shop", signal: "HUP") == "supervisorctl signal HUP shop")
        #expect(DockerAdapter(command: "docker").reload("shop", signal: nil) == "docker kill -s HUP shop")
    }

    @Test func dockerRemoveRenamesAsideAndCleanupRemoves() {
        let docker = DockerAdapter(command: "docker")
        let state = docker.removeStatePath("web", runID: "R1")
        #expect(docker.remove("web", state: state, runID: "R1").hasSuffix("docker stop web && docker rename web web.runbook-R1"))
        #expect(docker.restore("web", state: state, runID: "R1").hasPrefix("docker rename web.runbook-R1 web"))
        #expect(docker.removeCleanup("web", state: state, runID: "R1").hasPrefix("docker rm web.runbook-R1"))
    }

    @Test func terminalStatesOfRealOutputs() throws {
        // The stored copy is cut before ActiveState (see SOURCES.txt): the unit's state is added back.
        let failed = try SystemdAdapter(command: "systemctl").parseStatus(
            try String(contentsOf: realOutputs.appendingPathComponent("systemctl-show-ssh-failed-NRestarts5.txt"), encoding: .utf8)
                + "\nActiveState=failed\nSubState=failed\n", exitStatus: 0, app: "ssh")
        #expect(failed.state == .failed && failed.terminal)
        let errored = try PM2Adapter(command: "pm2").parseStatus(
            #"[{"name":"a","pid":0,"pm2_env":{"status":"errored","restart_time":15}}]"#, exitStatus: 0, app: "a")
        #expect(errored.terminal && errored.detail == "errored")
        let waiting = try PM2Adapter(command: "pm2").parseStatus(
            #"[{"name":"a","pid":0,"pm2_env":{"status":"waiting restart","restart_time":3}}]"#, exitStatus: 0, app: "a")
        #expect(waiting.state == .starting && !waiting.terminal)
        let restarting = try SystemdAdapter(command: "systemctl").parseStatus(
            "ActiveState=activating\nSubState=auto-restart\nNRestarts=3\nMainPID=0\n", exitStatus: 0, app: "a")
        #expect(restarting.state == .starting && !restarting.terminal)
    }

    /// The script `remove` runs under node, fed the real `pm2 jlist` captures (with a banner before them).
    @Test(arguments: [
        ("pm2-jlist-sendqueue-fork-online.json", "tinybot", "fork"), ("pm2-jlist-wibusvr-nextjs-cluster.json", "ninox-fox_3011", "cluster"),
    ])
    func pm2EntryScriptBuildsAnEcosystemFromARealJlist(file: String, app: String, mode: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/node") else { return }
        let folder = NSTemporaryDirectory() + "pm2-entry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input =
            ">>>> In-memory PM2 is out-of-date, do:\n>>>> $ pm2 update\n" + (try String(contentsOf: realOutputs.appendingPathComponent(file), encoding: .utf8))
        try input.write(toFile: "\(folder)/jlist", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "node -e \(ShellQuote.quote(PM2Adapter.entryScript)) \(ShellQuote.quote(app)) \(folder)/state < \(folder)/jlist > \(folder)/app.json",
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/app.json"))) as? [String: Any]
        let entry = (object?["apps"] as? [[String: Any]])?.first
        #expect(entry?["name"] as? String == app)
        #expect(entry?["exec_mode"] as? String == mode)
        #expect((entry?["script"] as? String)?.hasPrefix("/") == true)
        #expect(try String(contentsOfFile: "\(folder)/state", encoding: .utf8) == "online\n")
    }

    @Test func logWindowNeverPassesOverNewLines() {
        #expect(LogWindow.since(mark: "a\nb\n", in: "a\nb\nc\n") == "c\n")
        #expect(LogWindow.since(mark: "", in: "a\n") == "a\n")
        // Rotated (the old text is gone): everything counts as new.
        #expect(LogWindow.since(mark: "a\nb\n", in: "b\nc\n") == "b\nc\n")
        // A crash loop repeating the same line: the new repetitions are new.
        #expect(LogWindow.since(mark: "E\nE\n", in: "E\nE\nE\n") == "E\n")
    }

    @Test func logCommands() {
        #expect(SystemdAdapter(command: "systemctl").logRead("shop") == "journalctl -u shop --since \"@$RUNBOOK_SINCE\" --no-pager -o cat")
        #expect(DockerAdapter(command: "docker").logRead("shop") == "docker logs --since \"$RUNBOOK_SINCE\" shop 2>&1")
        #expect(PM2Adapter(command: "pm2").logTail("shop", lines: 10) == "pm2 logs shop --nostream --raw --lines 10 2>&1 | tail -n 10")
    }
}

private let realOutputs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/real-outputs")
