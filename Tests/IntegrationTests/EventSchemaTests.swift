import Foundation
import RunEvents
import TestSupport
import Testing

/// A run that emits nearly every kind of event: a canary batch, guards that skip, output on both
/// streams, a verification, a host that fails and rolls back with a rollback block.
let everyEventRunbook = """
    runbook "events" do
      param :dir, type: :path, default: "/tmp"
      param :fail, default: "no"
      rollout canary: 1, max_fail: 1
      step :mark do
        run "touch #{dir}/marker", undo: "rm -f #{dir}/marker"
      end
      step :seed, after: :mark do
        run "echo seeded", creates: "#{dir}"
      end
      step :check, after: :seed do
        run "echo checking; echo warning >&2; test #{fail} != yes"
      end
      verify after: :check, within: "2s" do
        file "#{dir}/marker", exists: true
      end
      rollback do
        run "echo rolled back"
      end
    end
    """

/// docs/events.schema.json is checked against real events by the reference validator (Python's
/// jsonschema, installed by scripts/install-deps in .venv).
@Suite(.timeLimit(.minutes(1))) struct EventSchemaTests {
    static let schemaPath = repositoryRoot.appendingPathComponent("docs/events.schema.json").path

    /// .venv's python (scripts/install-deps), else a python3 that has jsonschema.
    static var python: String? {
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python3").path
        for candidate in [venv, "python3"] {
            if let result = try? runProcess([candidate, "-c", "import jsonschema"]), result.status == 0 { return candidate }
        }
        return nil
    }

    static let validator = """
        import json, sys
        from jsonschema import Draft202012Validator, FormatChecker
        from jsonschema.exceptions import best_match
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        bad = checked = 0
        for path in sys.argv[2:]:
            for number, line in enumerate(open(path), 1):
                if path.endswith(".jsonl") and number == 1:
                    continue
                checked += 1
                error = best_match(validator.iter_errors(json.loads(line)))
                if error is not None:
                    bad += 1
                    print(f"{path}:{number}: {error.message}: {line.strip()[:300]}")
        print(f"checked {checked} events, {bad} invalid")
        sys.exit(1 if bad or not checked else 0)
        """

    @Test func realEventsOnStandardOutputAndInTheJournalMatchTheSchema() throws {
        let python = try #require(Self.python, "no Python with jsonschema: run scripts/install-deps")
        let fleet = try Fleet(3)
        // The third host is down: an `unreachable` result.
        fleet.servers[2].stop()
        let files = try FleetFiles(fleet, runbook: everyEventRunbook, vars: [["fail": "no"], ["fail": "yes"], ["fail": "no"]])
        let run = try runProcess(files.withJournal + ["--format", "json"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        try run.stdout.write(toFile: "\(files.folder)/events.json", atomically: true, encoding: .utf8)
        let journal = try #require(try FileManager.default.contentsOfDirectory(atPath: files.journal).first { $0.hasSuffix(".jsonl") })
        try Self.validator.write(toFile: "\(files.folder)/validate.py", atomically: true, encoding: .utf8)
        let check = try runProcess([python, "\(files.folder)/validate.py", Self.schemaPath, "\(files.folder)/events.json", "\(files.journal)/\(journal)"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let events = run.stdout.split(separator: "\n").compactMap { try? RunEvent.decode(jsonLine: $0) }
        let names = Set(events.map(\.name))
        #expect(
            events.contains { event in
                if case .hostFinished(.unreachable, _, _, _) = event.kind { return event.host == "h2" }
                return false
            })
        // Every kind is shown (a note: the rollback block's header on the failed host).
        #expect(Set(RunEvent.eventNames).subtracting(names).isEmpty, "kinds this run did not show: \(Set(RunEvent.eventNames).subtracting(names))")
    }

    @Test func theSchemaListsEveryEventKind() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let kinds = try #require(schema["oneOf"] as? [[String: Any]])
        let names = kinds.compactMap { (($0["properties"] as? [String: Any])?["event"] as? [String: Any])?["const"] as? String }
        #expect(names == RunEvent.eventNames)
    }

    @Test func theSchemaListsEveryHostResult() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let result = ((schema["$defs"] as? [String: Any])?["result"] as? [String: Any])?["enum"] as? [String]
        #expect(result == HostResult.allCases.map(\.rawValue))
    }
}
