import Foundation
import RunbookLanguage
import Testing

@testable import Planning
@testable import RunbookModel

/// A small deterministic generator so a failing input can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func exampleRunbooks() -> [String] {
    let folder = repositoryRoot.appendingPathComponent("runbooks")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".rb") }.sorted().map { folder.appendingPathComponent($0).path }
}

@Suite struct FuzzTests {
    static let fragments: [String] = [
        "runbook", "\"x\"", "do", "end", "{", "}", "[", "]", "(", ")", ",", ":", "::", "step", ":a", "after:", "#{", "}",
        "<<~SH", "SH", "\n", "'", "\"", "\\", "#", "|x|", "if", "=", "=>", "1.5", "-3", "nil", "true", "é", "\u{0}", "\t",
        "verify", "run", "free_port", "port", "#{port}", "<<~'X'", "X", "\r\n", ";", "..", "%", "@x", "$y",
    ]

    /// Every input yields a model or located errors, never a crash or an unlocated error.
    private static func assertWellBehaved(_ bytes: [UInt8], seed: UInt64) {
        let result = Validator.load(path: "fuzz.rb", bytes: bytes)
        switch result {
        case .success(let runbook):
            #expect(!runbook.steps.isEmpty)
            #expect(runbook.graph.order.count == runbook.steps.count)
        case .failure(let list):
            #expect(!list.diagnostics.isEmpty, "seed \(seed)")
            let lineCount = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            for diagnostic in list.diagnostics {
                #expect(diagnostic.location.line >= 1 && diagnostic.location.line <= lineCount + 1, "seed \(seed): \(diagnostic)")
                #expect(diagnostic.location.column >= 1, "seed \(seed): \(diagnostic)")
                #expect(!diagnostic.message.isEmpty)
            }
        }
    }

    @Test func randomTokenSoup() {
        var generator = SplitMix64(state: 42)
        for round in 0..<3000 {
            let count = Int.random(in: 0..<40, using: &generator)
            let text = (0..<count).map { _ in Self.fragments.randomElement(using: &generator) ?? "" }.joined(separator: " ")
            Self.assertWellBehaved(Array(text.utf8), seed: UInt64(round))
        }
    }

    @Test func mutatedExamples() throws {
        let seeds = try exampleRunbooks().map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        #expect(seeds.count >= 3)
        var generator = SplitMix64(state: 7)
        for round in 0..<3000 {
            guard var bytes = seeds.randomElement(using: &generator), !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: Array((Self.fragments.randomElement(using: &generator) ?? "").utf8), at: at)
                case 2: bytes = Array(bytes[..<at])
                case 3: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...40, using: &generator))
                    bytes.removeSubrange(at..<end)
                }
                if bytes.isEmpty { break }
            }
            Self.assertWellBehaved(bytes, seed: UInt64(round))
        }
    }
}

@Suite struct ExampleRunbookTests {
    @Test(arguments: exampleRunbooks())
    func everyExamplePassesCheck(path: String) throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let result = Validator.load(path: path, bytes: data)
        if case .failure(let list) = result { Issue.record("\(list)") }
    }

    @Test func recoverFollowsTheIncidentRunbook() throws {
        let path = repositoryRoot.appendingPathComponent("runbooks/recover.rb").path
        let runbook = try Validator.load(path: path, bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))).get()
        #expect(runbook.graph.waves == [["stop"], ["free_port", "clean_cache"], ["rebuild"], ["start"], ["save"]])
        #expect(runbook.verifications.first?.assertions.map(\.keyword) == ["running", "restarts", "log", "listening", "http"])
    }
}
