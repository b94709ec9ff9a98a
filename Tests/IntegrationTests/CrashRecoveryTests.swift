import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// clean_cache, upload, symlink and a long step on three sshd hosts, then a failing step so the
/// hosts roll back: the run writes a write-ahead record before and after every action and undo.
let crashRunbook = """
    runbook "crash" do
      param :dir, type: :path, default: "/tmp"
      param :src, type: :path, default: "/tmp"
      step :cache do
        clean_cache "#{dir}/cache"
      end
      step :conf, after: :cache do
        upload src, to: "#{dir}/app.conf"
      end
      step :link, after: :conf do
        symlink "#{dir}/current", to: "#{dir}/v2"
      end
      step :long, after: :link do
        run "sleep 0.3 && touch #{dir}/marker", undo: "rm -f #{dir}/marker"
      end
      step :fail, after: :long do
        run "false"
      end
    end
    """

/// SIGKILL of the controller at every write-ahead record boundary, then `runbook rollback RUN` alone:
/// every host is byte-identical to before (a recursive listing with modes, link targets and content
/// hashes), and no lock is left.
@Suite(.serialized, .timeLimit(.minutes(4))) struct CrashRecoveryTests {
    static func prepare(_ fleet: Fleet) throws {
        for dir in fleet.dirs {
            try shell(
                "cd \(dir) && rm -rf ./* && mkdir -p cache/a v1 v2 locks && printf x > cache/a/b && printf old > app.conf && chmod 640 app.conf && ln -s v1 current && chmod -R a+rwX . && chmod 1777 locks"
            )
        }
    }

    static func snapshot(_ fleet: Fleet) throws -> [String] {
        try fleet.dirs.map { dir in
            try shell(
                "cd \(dir) && find . -mindepth 1 -printf '%p %y %m %l ' -exec sh -c 'if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then sha256sum < \"$1\"; else echo; fi' _ {} \\; | sort"
            )
        }
    }

    static func records(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    @Test func sigkillAtEveryRecordThenRollbackRestoresEveryHost() throws {
        let fleet = try Fleet(3)
        let files = try FleetFiles(fleet, runbook: crashRunbook, vars: fleet.dirs.map { ["dir": $0] })
        let source = "\(files.folder)/app.conf.new"
        try "new contents\n".write(toFile: source, atomically: true, encoding: .utf8)
        let arguments = files.withJournal + ["--set", "src=\(source)", "--forks", "3"]
        try Self.prepare(fleet)
        let before = try Self.snapshot(fleet)
        // A whole run counts the records: the kill points.
        let whole = try runProcess(arguments + ["--run-id", "WHOLE"])
        #expect(whole.status == 1, "\(whole.stdout)\(whole.stderr)")
        let total = Self.records("\(files.journal)/WHOLE.wal")
        #expect(total >= 40, "only \(total) records")
        #expect(try Self.snapshot(fleet) == before, "the run's own rollback")
        var killedAt: [Int] = []
        for point in 1..<total {
            let runID = "KILL\(point)"
            let wal = "\(files.journal)/\(runID).wal"
            let process = try BackgroundProcess(arguments + ["--run-id", runID], log: "\(files.folder)/\(runID).log", output: true)
            let until = Date().addingTimeInterval(20)
            var reached = 0
            while Date() < until {
                reached = Self.records(wal)
                if reached >= point { break }
                usleep(500)
            }
            process.stop(SIGKILL)
            killedAt.append(reached)
            let rollback = try runProcess([runbookBinary, "rollback", runID, "--journal", files.journal])
            #expect([0].contains(rollback.status), "kill at record \(point) (reached \(reached)): \(rollback.stdout)\(rollback.stderr)")
            let after = try Self.snapshot(fleet)
            #expect(after == before, "kill at record \(point) (reached \(reached)), then rollback: \(rollback.stdout)")
            if after != before { try Self.prepare(fleet) }
        }
        #expect(Set(killedAt).count >= 30, "distinct kill points: \(Set(killedAt).sorted())")
    }
}
