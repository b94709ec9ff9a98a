import Testing

@testable import Transport

/// Host output is untrusted: a line without end must not grow the controller's memory.
@Suite struct LineBufferTests {
    func feed(_ buffer: inout LineBuffer, _ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBytes { buffer.append($0) }
    }

    @Test func anEndlessLineIsPassedOnInBoundedPieces() {
        var buffer = LineBuffer()
        var lines: [String] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        for _ in 0..<100 { lines += feed(&buffer, chunk) }
        #expect(lines.count == 1_000_000 / LineBuffer.lineLimit)
        #expect(lines.allSatisfy { $0.utf8.count == LineBuffer.lineLimit })
        #expect((buffer.finish()?.utf8.count ?? 0) == 1_000_000 % LineBuffer.lineLimit)
        #expect(buffer.collected.count == 1_000_000)
    }

    @Test func aPieceNeverEndsInsideAUTF8Character() {
        var buffer = LineBuffer()
        // "é" is two bytes: with one ASCII byte first, a piece boundary falls inside a character.
        let bytes = [UInt8(ascii: "x")] + Array(String(repeating: "é", count: LineBuffer.lineLimit).utf8)
        let lines = feed(&buffer, bytes) + [buffer.finish()].compactMap { $0 }
        #expect(!lines.joined().contains("\u{FFFD}"))
        #expect(lines.joined() == "x" + String(repeating: "é", count: LineBuffer.lineLimit))
        #expect(lines.allSatisfy { $0.utf8.count <= LineBuffer.lineLimit })
    }
}
