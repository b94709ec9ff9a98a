import Checks
import Planning
import Testing

/// How `listening` judges the sockets a host reported.
struct ListeningCheckTests {
    @Test func aDualStackSocketDoesNotSatisfyAnIPv4Address() {
        let listeners = [Listener(family: "ipv6", address: "::", port: 3002, inode: "1", owners: [(pid: 9, command: "node")])]
        let result = CheckEvaluator.judgeListening(listeners, port: 3002, address: "0.0.0.0", family: nil, process: nil)
        #expect(!result.holds)
        #expect(result.found == "found only [::]:3002 owned by node pid 9")
        #expect(CheckEvaluator.judgeListening(listeners, port: 3002, address: "::", family: nil, process: "node").holds)
        #expect(!CheckEvaluator.judgeListening(listeners, port: 3002, address: nil, family: nil, process: "python3").holds)
    }
}
