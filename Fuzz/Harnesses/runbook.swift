import Planning
import RunbookLanguage
import RunbookModel

/// libFuzzer entry: the whole runbook front end (lexer, parser, validator with the built-in
/// vocabulary, which lives in Planning) on arbitrary bytes.
/// Every input must give a model or located errors; a crash, a hang or an unlocated error is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunbook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if case .failure(let list) = Validator.load(path: "fuzz.rb", bytes: bytes) {
        precondition(!list.diagnostics.isEmpty, "a failure without an error")
        for diagnostic in list.diagnostics {
            precondition(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "unlocated: \(diagnostic)")
            _ = diagnostic.description
        }
        _ = list.description
    }
    return 0
}
