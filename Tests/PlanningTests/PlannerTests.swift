import Foundation
import Inventory
import Planning
import RunbookModel
import Testing
import Wire

@Suite struct PlannerTests {
    static let fleet = """
        [web]
        web1 ansible_host=10.0.0.1
        web2 ansible_host=10.0.0.2 port=abc
        web3 ansible_host=10.0.0.3
        [web:vars]
        app=shop
        """

    @Test func parametersComeFromSetThenInventoryThenDefault() throws {
        let book = try runbook(
            "param :app, default: \"dflt\"\nparam :dir, default: \"/srv\"\nstep :s do\n  run \"echo #{app} #{dir} #{host} #{host.address}\"\nend")
        let inv = try inventory("[web]\nweb1 ansible_host=10.0.0.1 dir=/opt\n[web:vars]\napp=shop\n")
        let fromInventory = try planner(book, inv).plan(hosts: .init("web"))
        #expect(firstCommand(fromInventory) == "echo shop /opt web1 10.0.0.1")
        let fromSet = try planner(book, inv, set: ["dir": "/x y"]).plan(hosts: .init("web"))
        #expect(firstCommand(fromSet) == "echo shop '/x y' web1 10.0.0.1")
    }

    @Test func typesAreCheckedPerHostAndEveryBadHostIsNamed() throws {
        let book = try runbook("param :port, type: :port, default: 3002\nstep :s do\n  free_port port\nend")
        #expect(throws: PlanningError(["the parameter `port` is `abc` (from inventory), which is not a port (1-65535) (host: web2)"])) {
            _ = try planner(book, try inventory(Self.fleet)).plan(hosts: .init("all"))
        }
    }

    @Test func missingParameterNamesTheHosts() throws {
        let book = try runbook("param :token, secret: true\nstep :s do\n  run \"deploy --token #{token}\"\nend")
        #expect(
            throws: PlanningError([
                "the secret parameter `token` has no value; give it with RUNBOOK_SECRET_token=..., --set-file token=PATH, an inventory variable, or at the prompt on a terminal (hosts: web1, web2, web3)"
            ])
        ) {
            _ = try planner(book, try inventory(Self.fleet)).plan(hosts: .init("web"))
        }
    }

    @Test func unknownSetNameIsAnError() throws {
        let book = try runbook("param :port, type: :port, default: 1\nstep :s do\n  run \"x\"\nend")
        #expect(throws: PlanningError(["--set prot=...: the runbook `t` has no parameter `prot`; did you mean `port`?"])) {
            _ = try planner(book, .localOnly(), set: ["prot": "1"]).plan(hosts: .init("local"))
        }
    }

    @Test func patternThatSelectsNothingListsGroups() throws {
        let book = try runbook("step :s do\n  run \"x\"\nend")
        #expect(throws: PlanningError(["`db` is neither a host nor a group of hosts.ini; groups: all, web"])) {
            _ = try planner(book, try inventory(Self.fleet)).plan(hosts: .init("db"))
        }
    }

    @Test func processActionsNeedASupervisor() throws {
        let book = try runbook("step :s do\n  stop \"shop\"\nend")
        #expect(
            throws: PlanningError([
                "step `s` (line 3): `stop` needs a supervisor: add `supervisor :pm2` (or :systemd, :supervisord, :docker) to the runbook, or a `supervisor` inventory variable (host: local)"
            ])
        ) {
            _ = try planner(book, .localOnly()).plan(hosts: .init("local"))
        }
    }

    @Test func inventorySupervisorAndCommandOverrideTheRunbook() throws {
        let book = try runbook("supervisor :pm2\nstep :s do\n  restart \"shop\"\nend")
        let inv = try inventory("[web]\nweb1 supervisor=supervisord supervisor_command='supervisorctl -c /etc/app.conf'\nweb2\n")
        let plan = try planner(book, inv).plan(hosts: .init("web"))
        #expect(firstCommand(plan, host: 0) == "supervisorctl -c /etc/app.conf restart shop")
        #expect(firstCommand(plan, host: 1) == "pm2 restart shop")
    }

    @Test func stepsLimitedByOnRunOnlyOnMatchingHosts() throws {
        let book = try runbook("step :a do\n  run \"a\"\nend\nstep :b, on: \"web1\" do\n  run \"b\"\nend")
        let plan = try planner(book, try inventory(Self.fleet)).plan(hosts: .init("web:!web2"))
        #expect(plan.hosts.map { $0.steps.map(\.name) } == [["a", "b"], ["a"]])
    }

    @Test func secretsNeverAppearInTextOrJSONPlans() throws {
        let secret = "s3cr3t-Value!"
        let book = try runbook(
            "param :token, secret: true\nparam :url, default: \"http://x\"\nstep :s do\n  run \"curl -H 'T: #{token}' #{url}\", undo: \"echo #{token}\", env: { TOKEN: token }\nend\nverify do\n  command \"test #{token}\"\n  http \"http://127.0.0.1/?t=#{token}\"\nend"
        )
        let plan = try planner(book, .localOnly(), set: ["token": secret]).plan(hosts: .init("local"))
        let text = PlanPrinter.text(plan)
        let json = try PlanPrinter.json(plan)
        #expect(!text.contains(secret))
        #expect(!json.contains(secret))
        #expect(text.contains("••••"))
        #expect(json.contains("••••"))
        // The command reads the value from its environment; only the standard input carries it.
        guard case .command(let hostCommand)? = plan.hosts.first?.steps.first?.actions.first?.operations.first else {
            Issue.record("no command")
            return
        }
        #expect(!hostCommand.body.script.contains(secret))
        #expect(hostCommand.body.script.contains("RUNBOOK_SECRET_"))
        let message = try hostCommand.message(secrets: plan.hosts.first?.secretValues ?? [:])
        #expect(!message.request.contains(secret))
        #expect(message.stdin.contains(ShellQuote.quote(secret)))
        #expect(!hostCommand.shown.stdin.contains(secret))
    }

    @Test func rolloutBatchesCanaryPercentAndBudget() throws {
        let hosts = (1...10).map { "h\($0)" }
        var spec = RolloutSpec()
        spec.canary = 1
        spec.serial = .percent(25)
        spec.maxFail = .percent(20)
        let rollout = RolloutPlan(hosts: hosts, spec: spec)
        #expect(rollout.batches == [["h1"], ["h2", "h3", "h4"], ["h5", "h6", "h7"], ["h8", "h9", "h10"]])
        #expect(!rollout.budgetExceeded(failed: 1, done: 5))  // 20% reached, not exceeded
        #expect(rollout.budgetExceeded(failed: 2, done: 5))
        spec.serial = .count(4)
        spec.canary = 0
        spec.maxFail = .count(1)
        let counted = RolloutPlan(hosts: hosts, spec: spec)
        #expect(counted.batches.map(\.count) == [4, 4, 2])
        #expect(!counted.budgetExceeded(failed: 1, done: 4))
        #expect(counted.budgetExceeded(failed: 2, done: 8))
    }

    @Test func commandLineOverridesTheRunbookRollout() throws {
        let book = try runbook("rollout serial: 1, canary: 1\nstep :s do\n  run \"x\"\nend")
        let plan = try planner(book, try inventory(Self.fleet), rollout: RolloutOverrides(serial: .count(2), canary: 0)).plan(hosts: .init("all"))
        #expect(plan.rollout.batches == [["web1", "web2"], ["web3"]])
    }

    private func firstCommand(_ plan: RunPlan, host: Int = 0) -> String? {
        guard host < plan.hosts.count, case .command(let hostCommand)? = plan.hosts[host].steps.first?.actions.first?.operations.first else {
            return nil
        }
        return hostCommand.body.script
    }
}

extension PlanningError: Equatable {
    public static func == (lhs: PlanningError, rhs: PlanningError) -> Bool { lhs.messages == rhs.messages }
}

/// `ansible_become`: the changes of the host, and their undos, run through `sudo -n`.
@Suite struct BecomeTests {
    @Test func aBecomeHostSendsItsChangesThroughSudo() throws {
        let book = try runbook("step :s do\n  clean_cache \"/srv/app/.next\"\nend")
        let inventory = try InventoryLoader.parse("[web]\nw1 ansible_host=10.0.0.1 ansible_become=true\nw2 ansible_host=10.0.0.2\n", path: "hosts.ini")
        let plan = try planner(book, inventory).plan(hosts: HostPattern("web"))
        let requests = { (host: String) in
            plan.hosts.first { $0.host == host }?.exchanges.filter { $0.phase == .action || $0.phase == .undo }.compactMap { $0.command?.shown.request } ?? []
        }
        #expect(!requests("w1").isEmpty && requests("w1").allSatisfy { $0 == "exec sudo -n sh -s" })
        #expect(!requests("w2").isEmpty && requests("w2").allSatisfy { $0 == "exec sh -s" })
        // The finish (as the connecting user: the lock and the kept folder are its own) removes
        // what root moved aside through sudo.
        let finish = { (host: String) in plan.hosts.first { $0.host == host }?.finish?.body.script ?? "" }
        #expect(finish("w1").contains("( sudo -n sh -c 'rm -rf "), "\(finish("w1"))")
        #expect(!finish("w2").contains("sudo"), "\(finish("w2"))")
        let other = try InventoryLoader.parse("w3 ansible_become=true ansible_become_user=app\n", path: "hosts.ini")
        #expect(throws: PlanningError.self) { try planner(book, other).plan(hosts: HostPattern("w3")) }
    }
}
