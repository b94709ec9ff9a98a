import Planning
import Testing

@testable import Checks

@Suite struct AppCheckTests {
    @Test func envFilesReadAsDotenvDoes() {
        let values = EnvFile.parse("# c\nexport PORT=3000\nNAME=\"a \\\"b\\\" c\"\nQ='x y'\nPLAIN=v # note\n  SPACED=1\nBAD LINE\n")
        #expect(values == ["PORT": "3000", "NAME": "a \"b\" c", "Q": "x y", "PLAIN": "v", "SPACED": "1"])
    }

    @Test func jsonPathsCompareValuesNotSubstrings() {
        let healthy = [ExpectedValue(key: "data.status", value: "healthy", display: "healthy")]
        #expect(CheckEvaluator.jsonProblems(#"{"data": {"status": "healthy"}}"#, expected: healthy).isEmpty)
        #expect(CheckEvaluator.jsonProblems(#"{"data": {"status": "unhealthy"}}"#, expected: healthy) == ["data.status = unhealthy (expected healthy)"])
        #expect(CheckEvaluator.jsonProblems("ok", expected: healthy) == ["a body that is not JSON"])
        #expect(
            CheckEvaluator.jsonProblems(
                #"{"items": [{"n": 3}], "ok": true}"#,
                expected: [
                    ExpectedValue(key: "items.0.n", value: "3", display: "3"), ExpectedValue(key: "ok", value: "true", display: "true"),
                ]
            ).isEmpty)
        #expect(CheckEvaluator.jsonProblems(#"{"a": 1}"#, expected: [ExpectedValue(key: "b", value: "1", display: "1")]) == ["no b in the JSON body"])
    }
}
