@testable import DeferredKitDistributed
import Foundation
import Testing

/// The completion and heartbeat documents are written as text (not through `JSONSerialization`); these
/// tests parse them back to check that they are valid JSON with the values put in.
@Suite("Completion documents")
struct CompletionDocumentTests {
    @Test func idsWithQuotesBackslashesControlCharactersAndNonASCIIRoundTrip() throws {
        let ids = ["plain", #"quote " and \ backslash"#, "new\nline\ttab\r", "bell\u{07}nul-ish\u{1F}", "café/∑/🚀", ""]
        let entries = ids.enumerated().map { index, id in
            var entry = CompletionBatcher.Entry(id: id, fence: Int64(index) + 1)
            if index.isMultiple(of: 2) {
                entry.outputJSON = try! JSONCoding.encode(["value": index])
            } else {
                entry.failureJSON = try! JSONCoding.encode(DistributedFailure(kind: .failed, message: "boom \(id)", promise: id))
            }
            return entry
        }
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(JSONCoding.completionDocument(entries).utf8)) as? [[String: Any]])
        #expect(parsed.count == ids.count)
        for (index, record) in parsed.enumerated() {
            #expect(record["id"] as? String == ids[index])
            #expect((record["fence"] as? NSNumber)?.int64Value == Int64(index) + 1)
            if index.isMultiple(of: 2) {
                #expect((record["output"] as? [String: Any])?["value"] as? Int == index)
                #expect(record["failure"] == nil)
            } else {
                #expect((record["failure"] as? [String: Any])?["promise"] as? String == ids[index])
                #expect(record["output"] == nil)
            }
        }
    }

    @Test func aMissingOutputIsNullAndHeartbeatsCarryIdAndFence() throws {
        let completion = try #require(
            try JSONSerialization.jsonObject(
                with: Data(JSONCoding.completionDocument([CompletionBatcher.Entry(id: "x", fence: 7)]).utf8),
                options: [.fragmentsAllowed]) as? [[String: Any]])
        #expect(completion.first?["output"] is NSNull)
        let heartbeat = try #require(
            try JSONSerialization.jsonObject(
                with: Data(JSONCoding.heartbeatDocument([(id: "a\"b", fence: 3), (id: "c", fence: 4)]).utf8))
                as? [[String: Any]])
        #expect(heartbeat.map { $0["id"] as? String } == ["a\"b", "c"])
        #expect(heartbeat.map { ($0["fence"] as? NSNumber)?.int64Value } == [3, 4])
    }
}
